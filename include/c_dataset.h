/*
 * c_dataset.h: SmartRedis 0.6.1's header of this name, for source compatibility.
 * The dataset functions (CDataSet, add_tensor, ...) are declared in smartredis.h; in C++ this header also gives
 * the DataSet class (dataset.h), as upstream's does.
 */
#ifndef SMARTREDIS_C_DATASET_H
#define SMARTREDIS_C_DATASET_H

#include "sr_enums.h"
#include "srexception.h"

#ifdef __cplusplus
#include "dataset.h"
#endif

#endif /* SMARTREDIS_C_DATASET_H */
