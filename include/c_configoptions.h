/*
 * c_configoptions.h: SmartRedis 0.6.1's header of this name, for source compatibility.
 * ConfigOptions: create_configoptions_from_environment, get_/override_*_option, is_configured, sr_configoptions_free.
 */
#ifndef SMARTREDIS_C_CONFIGOPTIONS_H
#define SMARTREDIS_C_CONFIGOPTIONS_H

#include "sr_enums.h"
#include "srexception.h"

#endif /* SMARTREDIS_C_CONFIGOPTIONS_H */
