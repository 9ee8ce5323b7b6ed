/*
 * sr_enums.h: SmartRedis 0.6.1's header of this name, for source compatibility.
 * The enumerations (SRTensorType, SRMemoryLayout, SRMetaDataType, SRLoggingLevel) are declared in smartredis.h.
 */
#ifndef SMARTREDIS_SR_ENUMS_H
#define SMARTREDIS_SR_ENUMS_H

#include "smartredis.h"

#endif /* SMARTREDIS_SR_ENUMS_H */
