/* regstore.h - the registry server's storage: content-addressed blobs, upload sessions,
 * repositories with tags, manifest revisions and referrers, all on the filesystem.
 *
 * Layout under the root (distribution's, simplified):
 *   blobs/sha256/<hex>                              content, written once, verified
 *   uploads/<id>/{data,repo}                        sessions in progress, never read as blobs
 *   repositories/<name>/_layers/sha256/<hex>        the blob belongs to this repository
 *   repositories/<name>/_manifests/revisions/sha256/<hex>   manifest (its content type inside)
 *   repositories/<name>/_manifests/tags/<tag>       a tag: the manifest's digest
 *   repositories/<name>/_referrers/<subject-hex>/<hex>      manifests with that subject
 * Names, tags, digests and upload ids are validated before they become paths. Writers hold
 * a shared lock on <root>/.lock while they commit; `registry gc` holds it exclusively. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>
#include "base/error.h"

#define REGSTORE_DIGEST_LEN 71 /* "sha256:" and 64 hex digits */
#define REGSTORE_ID_LEN 32     /* upload ids: 32 hex digits */
#define REGSTORE_MANIFEST_MAX (4 * 1024 * 1024)

struct regstore {
    char *root;
};

/* Opens (creating) the store at root. */
int regstore_open(const char *root, struct regstore **ret, struct berr **err);
void regstore_free(struct regstore *s);

/* The distribution spec's repository name grammar, at most 255 characters. */
bool regstore_name_valid(const char *name);
/* [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127} */
bool regstore_tag_valid(const char *tag);
/* "sha256:" and 64 lowercase hex digits (the one algorithm stored). */
bool regstore_digest_valid(const char *digest);
bool regstore_upload_id_valid(const char *id);

/* Errors below: -ENOENT (BERR_NOT_FOUND) when the named thing is unknown, -EINVAL
 * (BERR_INVALID) for bad input, -EBADMSG (BERR_INVALID) when content does not match its
 * digest, anything else an internal failure. */

/* Opens a blob of repository `name` for reading. */
int regstore_blob_open(struct regstore *s, const char *name, const char *digest, int *ret_fd,
                       off_t *ret_size, struct berr **err);
/* Links a blob of repository `from` into `name` (cross-repository mount). */
int regstore_blob_mount(struct regstore *s, const char *name, const char *from, const char *digest,
                        struct berr **err);
/* Removes a blob from a repository (its content stays until gc). */
int regstore_blob_delete(struct regstore *s, const char *name, const char *digest,
                         struct berr **err);

/* Starts an upload session for `name`; ret_id gets its id. */
int regstore_upload_new(struct regstore *s, const char *name, char ret_id[REGSTORE_ID_LEN + 1],
                        struct berr **err);
/* Opens a session's data for appending, locked against other writers of the session until
 * the fd is closed; ret_size is what it holds. */
int regstore_upload_open(struct regstore *s, const char *name, const char *id, int *ret_fd,
                         off_t *ret_size, struct berr **err);
/* Size of a session's data, without locking. */
int regstore_upload_size(struct regstore *s, const char *name, const char *id, off_t *ret_size,
                         struct berr **err);
/* Verifies the session's data against digest and makes it a blob of `name`; the session is
 * gone after, whether it matched or not. */
int regstore_upload_commit(struct regstore *s, const char *name, const char *id, const char *digest,
                           struct berr **err);
int regstore_upload_cancel(struct regstore *s, const char *name, const char *id, struct berr **err);

/* Stores a manifest under `ref` (a tag, or its digest). Refused: invalid JSON (-EINVAL), a
 * digest reference that is not the content's (-EBADMSG), a blob or child manifest the
 * repository lacks (-ENOENT, "blob unknown"). ret_digest gets its digest, ret_subject the
 * subject's digest if it has one (else ""). */
int regstore_manifest_put(struct regstore *s, const char *name, const char *ref, const char *data,
                          size_t len, const char *content_type,
                          char ret_digest[REGSTORE_DIGEST_LEN + 1],
                          char ret_subject[REGSTORE_DIGEST_LEN + 1], struct berr **err);
/* A manifest by tag or digest: its bytes, content type and digest. */
int regstore_manifest_get(struct regstore *s, const char *name, const char *ref, char **ret_data,
                          size_t *ret_len, char **ret_type,
                          char ret_digest[REGSTORE_DIGEST_LEN + 1], struct berr **err);
/* Deletes a tag, or a manifest by digest (with the tags that name it). */
int regstore_manifest_delete(struct regstore *s, const char *name, const char *ref,
                             struct berr **err);

/* Whether the repository exists. */
bool regstore_repo_exists(struct regstore *s, const char *name);
/* Sorted tags of a repository (-ENOENT if it does not exist); NULL-terminated. */
int regstore_tags(struct regstore *s, const char *name, char ***ret, struct berr **err);
/* Sorted repository names; NULL-terminated. */
int regstore_catalog(struct regstore *s, char ***ret, struct berr **err);
/* The referrers of subject in name as an OCI image index, filtered by artifact_type if not
 * NULL. */
int regstore_referrers(struct regstore *s, const char *name, const char *subject,
                       const char *artifact_type, json_t **ret, struct berr **err);

/* Removes every blob no repository links and no manifest references, and sessions idle
 * for longer than max_upload_age seconds; under the exclusive lock, so never during a
 * commit. ret_removed/ret_bytes count what went. */
int regstore_gc(struct regstore *s, long max_upload_age, bool dry_run, size_t *ret_removed,
                unsigned long long *ret_bytes, struct berr **err);
