#ifndef ALMANAC_COPENSSL_SHIM_H
#define ALMANAC_COPENSSL_SHIM_H

/* Only the OpenSSL 3 API: deprecated declarations (HMAC_CTX, EC_KEY, ...) are hidden so
 * nothing in Swift can reach them by accident. */
#ifndef OPENSSL_API_COMPAT
#define OPENSSL_API_COMPAT 30000
#endif
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED 1
#endif

#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#include <openssl/bn.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/kdf.h>

/* Helpers for what Swift cannot import: function-like macros, variadic functions and
 * macros built from other macros. Every symbol is prefixed `almanac_`. */

/* OPENSSL_free is a macro (it passes __FILE__/__LINE__). */
static inline void almanac_openssl_free(void *p) { OPENSSL_free(p); }

/* BIO_get_mem_data is a macro over BIO_ctrl. Returns the length; *data points into the BIO. */
static inline long almanac_bio_get_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}

/* EVP_PKEY_Q_keygen is variadic. A fresh EC key on P-256 (NULL on failure). */
static inline EVP_PKEY *almanac_ec_p256_generate(void) {
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* Selection masks are macros built from other macros. */
static inline int almanac_evp_pkey_public_key_selection(void) { return EVP_PKEY_PUBLIC_KEY; }

/* OSSL_PARAM keeps its key pointer (not a copy) until the call that consumes the array, so
 * keys must have static storage: these return OpenSSL's own string literals. */
static inline const char *almanac_param_group_name(void) { return OSSL_PKEY_PARAM_GROUP_NAME; }
static inline const char *almanac_param_pub_key(void) { return OSSL_PKEY_PARAM_PUB_KEY; }

/* AEAD tag get/set: EVP_CIPHER_CTX_ctrl with EVP_CTRL_AEAD_{GET,SET}_TAG. */
static inline int almanac_aead_get_tag(EVP_CIPHER_CTX *ctx, unsigned char *tag, int length) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, length, tag);
}
static inline int almanac_aead_set_tag(EVP_CIPHER_CTX *ctx, unsigned char *tag, int length) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, length, tag);
}
static inline int almanac_aead_set_iv_length(EVP_CIPHER_CTX *ctx, int length) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, length, NULL);
}

#endif
