/*
 * c_client.h: SmartRedis 0.6.1's header of this name, for source compatibility.
 * The client functions (CreateClient, put_tensor, ...) are declared in smartredis.h.
 */
#ifndef SMARTREDIS_C_CLIENT_H
#define SMARTREDIS_C_CLIENT_H

#include <stdlib.h>
#include <stdbool.h>
#include "sr_enums.h"
#include "srexception.h"

#endif /* SMARTREDIS_C_CLIENT_H */
