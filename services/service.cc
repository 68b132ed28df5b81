// Service defaults: the Query-family services' (SQS, SNS, SimpleDB) answers to failed signature
// checks (S3 and DynamoDB override auth_error with their own codes), and complete().
#include "services/service.h"

#include "storage/database.h"

namespace nimbus {

ApiError Service::auth_error(const AuthError& error) const {
  switch (error.failure) {
    case AuthFailure::MissingAuthentication:
      return ApiError(403, "MissingAuthenticationToken", "Request is missing Authentication Token");
    case AuthFailure::InvalidAccessKey:
      return ApiError(403, "InvalidClientTokenId",
                      "The security token included in the request is invalid.");
    case AuthFailure::SignatureMismatch:
    case AuthFailure::ContentSha256Mismatch:
      return ApiError(403, "SignatureDoesNotMatch",
                      "The request signature we calculated does not match the signature you "
                      "provided. Check your AWS Secret Access Key and signing method. Consult the "
                      "service documentation for details.");
    case AuthFailure::TimeTooSkewed:
      // AWS's Query services report clock skew as an expired signature.
      return ApiError(403, "SignatureDoesNotMatch", std::string("Signature expired: ") + error.what());
    case AuthFailure::Expired:
      return ApiError(400, "RequestExpired", "Request has expired.");
    case AuthFailure::Malformed:
      return ApiError(400, "IncompleteSignature", error.what());
  }
  return ApiError(403, "AccessDenied", error.what());
}

Result complete(Result result) {
  if (!result.write) return result;
  AsyncWrite write = std::move(*result.write);
  write.db->write(write.job);
  Result done;
  if (write.then) write.then(done);
  return done;
}

}  // namespace nimbus
