/* change.h - Dockerfile-style changes to an image config (`import -c`, `commit -c`) */
#pragma once
#include <jansson.h>
#include "base/error.h"

/* Applies one change ("CMD [\"sh\"]", "ENV K=V", "EXPOSE 80", "LABEL a=b", "USER u",
 * "WORKDIR /w", "ENTRYPOINT ...", "STOPSIGNAL s", "VOLUME /v") to cfg, the image config's
 * "config" object. A change berth cannot apply is BERR_INVALID, and cfg may then be partly
 * changed: callers apply every change before they keep the result. */
int image_config_change(json_t *cfg, const char *change, struct berr **err);
