/*
 * c_logger.h: SmartRedis 0.6.1's header of this name, for source compatibility.
 * Logging: log_data_noexcept and friends; in C, also the short names log_data, log_warning, ... as upstream.
 */
#ifndef SMARTREDIS_C_LOGGER_H
#define SMARTREDIS_C_LOGGER_H

#include <stdlib.h>
#include "sr_enums.h"
#include "srexception.h"

#ifndef __cplusplus
#define log_data log_data_noexcept
#define log_warning log_warning_noexcept
#define log_error log_error_noexcept
#define log_data_string log_data_noexcept_string
#define log_warning_string log_warning_noexcept_string
#define log_error_string log_error_noexcept_string
#endif

#endif /* SMARTREDIS_C_LOGGER_H */
