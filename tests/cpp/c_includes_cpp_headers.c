/* The C++ headers must be harmless in C: upstream's C headers include client.h, logcontext.h, srobject.h and
 * logger.h, so C programs see them. This program includes them all (but configoptions.h, which is C++ only)
 * and is compiled as C99 with warnings as errors. */
#include <stdio.h>

#include "client.h"
#include "dataset.h"
#include "logcontext.h"
#include "logger.h"
#include "orchestrator.h"
#include "srobject.h"
#include "srexception.h"
#include "c_client.h"
#include "c_dataset.h"

int main(void)
{
    printf("C++ headers are C-safe (last error: %s)\n", SRGetLastError());
    return 0;
}
