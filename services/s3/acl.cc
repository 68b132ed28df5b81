// S3 access control lists: the canned ACLs and explicit grants a bucket or object carries, the
// check every operation makes (acl_allows), and Get/Put Bucket/Object Acl. An ACL is stored in
// the `acl` column either as a canned name ("private", "public-read", ...) or as a JSON array of
// grants: [{"type":"CanonicalUser","id":"<64 hex>","perm":"READ"}, {"type":"Group","uri":...}].
// The owner is implicit (always FULL_CONTROL) and is the account that created the resource.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "services/s3/internal.h"
#include "services/s3/s3_service.h"

namespace nimbus {
namespace s3 {
namespace {

constexpr const char* kAllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";
constexpr const char* kAuthenticatedUsers =
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
constexpr const char* kLogDelivery = "http://acs.amazonaws.com/groups/s3/LogDelivery";

struct Grant {
  std::string type;  // "CanonicalUser" or "Group"
  std::string id;    // canonical user id (CanonicalUser)
  std::string uri;   // group URI (Group)
  std::string permission;  // FULL_CONTROL, READ, WRITE, READ_ACP, WRITE_ACP
};

// The grants of a stored ACL, the owner's FULL_CONTROL first. bucket_owner_id: for the
// bucket-owner-* canned ACLs of objects ("" for a bucket).
std::vector<Grant> grants_of(const std::optional<std::string>& acl, const std::string& owner_id,
                             const std::string& bucket_owner_id = "") {
  std::vector<Grant> out;
  out.push_back({"CanonicalUser", canonical_user_id(owner_id), "", "FULL_CONTROL"});
  std::string text = acl.value_or("private");
  if (!text.empty() && text.front() == '[') {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    if (doc.HasParseError() || !doc.IsArray()) return out;
    out.clear();
    for (const auto& g : doc.GetArray()) {
      if (!g.IsObject()) continue;
      auto field = [&](const char* name) {
        auto it = g.FindMember(name);
        return it != g.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString())
                                                           : std::string();
      };
      out.push_back({field("type"), field("id"), field("uri"), field("perm")});
    }
    return out;
  }
  auto group = [&](const char* uri, const char* permission) {
    out.push_back({"Group", "", uri, permission});
  };
  if (text == "public-read") {
    group(kAllUsers, "READ");
  } else if (text == "public-read-write") {
    group(kAllUsers, "READ");
    group(kAllUsers, "WRITE");
  } else if (text == "authenticated-read") {
    group(kAuthenticatedUsers, "READ");
  } else if (text == "log-delivery-write") {
    group(kLogDelivery, "WRITE");
    group(kLogDelivery, "READ_ACP");
  } else if ((text == "bucket-owner-read" || text == "bucket-owner-full-control") &&
             !bucket_owner_id.empty() && bucket_owner_id != owner_id) {
    out.push_back({"CanonicalUser", canonical_user_id(bucket_owner_id), "",
                   text == "bucket-owner-read" ? "READ" : "FULL_CONTROL"});
  }
  return out;
}

std::string grants_to_json(const std::vector<Grant>& grants) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartArray();
  for (const Grant& g : grants) {
    w.StartObject();
    w.Key("type");
    w.String(g.type.c_str());
    if (!g.id.empty()) {
      w.Key("id");
      w.String(g.id.c_str());
    }
    if (!g.uri.empty()) {
      w.Key("uri");
      w.String(g.uri.c_str());
    }
    w.Key("perm");
    w.String(g.permission.c_str());
    w.EndObject();
  }
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

bool permission_covers(const std::string& permission, Access access) {
  if (permission == "FULL_CONTROL") return access != Access::Owner;
  switch (access) {
    case Access::Read: return permission == "READ";
    case Access::Write: return permission == "WRITE";
    case Access::ReadAcp: return permission == "READ_ACP";
    case Access::WriteAcp: return permission == "WRITE_ACP";
    case Access::Owner: return false;
  }
  return false;
}

bool grantee_matches(const Grant& g, const CallContext& context) {
  if (g.type == "Group") {
    if (g.uri == kAllUsers) return true;
    if (g.uri == kAuthenticatedUsers) return !context.account.anonymous;
    return false;
  }
  return !context.account.anonymous && g.id == canonical_user_id(context.account.id);
}

const char* const kPermissions[] = {"FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP"};

// Grants from x-amz-grant-* header values: `id="…", uri="…"` lists.
std::vector<Grant> grants_from_headers(const Value& input) {
  static const std::pair<const char*, const char*> kHeaders[] = {
      {"GrantFullControl", "FULL_CONTROL"}, {"GrantRead", "READ"}, {"GrantReadACP", "READ_ACP"},
      {"GrantWrite", "WRITE"},             {"GrantWriteACP", "WRITE_ACP"}};
  std::vector<Grant> out;
  for (const auto& [member, permission] : kHeaders) {
    std::optional<std::string> header = input.get_string(member);
    if (!header) continue;
    size_t start = 0;
    while (start < header->size()) {
      size_t comma = header->find(',', start);
      if (comma == std::string::npos) comma = header->size();
      std::string item = trim(std::string_view(*header).substr(start, comma - start));
      start = comma + 1;
      if (item.empty()) continue;
      size_t eq = item.find('=');
      if (eq == std::string::npos)
        throw s3_errors::invalid_argument("Invalid grant header", member, item);
      std::string kind = lower(trim(item.substr(0, eq)));
      std::string value = trim(item.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      if (kind == "id") {
        out.push_back({"CanonicalUser", value, "", permission});
      } else if (kind == "uri") {
        out.push_back({"Group", "", value, permission});
      } else if (kind == "emailaddress") {
        throw ApiError(400, "UnresolvableGrantByEmailAddress",
                       "The e-mail address you provided does not match any account on record.");
      } else {
        throw s3_errors::invalid_argument("Invalid grant header", member, item);
      }
    }
  }
  return out;
}

// Grants from an AccessControlPolicy document (Owner, AccessControlList/Grant).
std::vector<Grant> grants_from_policy(const Value& policy, const std::string& owner_id) {
  if (const Value* owner = policy.find("Owner")) {
    std::optional<std::string> id = owner->get_string("ID");
    if (id && *id != canonical_user_id(owner_id)) throw s3_errors::access_denied();
  }
  std::vector<Grant> out;
  if (const Value* grants = policy.find("Grants"); grants && grants->is_list()) {
    for (const Value& g : grants->as_list()) {
      std::string permission = g.string_or("Permission", "");
      if (std::find(std::begin(kPermissions), std::end(kPermissions), permission) ==
          std::end(kPermissions))
        throw ApiError(400, "MalformedACLError",
                       "The XML you provided was not well-formed or did not validate against "
                       "our published schema");
      const Value* grantee = g.find("Grantee");
      if (!grantee) throw ApiError(400, "MalformedACLError", "A grant needs a Grantee");
      std::string type = grantee->string_or("Type", "");
      if (type == "CanonicalUser") {
        std::string id = grantee->string_or("ID", "");
        if (id.empty()) throw s3_errors::invalid_argument("Invalid id", "CanonicalUser/ID", id);
        out.push_back({"CanonicalUser", id, "", permission});
      } else if (type == "Group") {
        out.push_back({"Group", "", grantee->string_or("URI", ""), permission});
      } else if (type == "AmazonCustomerByEmail") {
        throw ApiError(400, "UnresolvableGrantByEmailAddress",
                       "The e-mail address you provided does not match any account on record.");
      } else {
        throw ApiError(400, "MalformedACLError",
                       "The XML you provided was not well-formed or did not validate against "
                       "our published schema");
      }
    }
  }
  return out;
}

}  // namespace

bool acl_allows(const std::string& owner_id, const std::optional<std::string>& acl,
                const CallContext& context, Access access) {
  if (!context.account.anonymous && context.account.id == owner_id) return true;
  for (const Grant& g : grants_of(acl, owner_id))
    if (grantee_matches(g, context) && permission_covers(g.permission, access)) return true;
  return false;
}

// The ACL a Put*Acl (or a create with x-amz-acl / x-amz-grant-*) asks for: a canned name or a
// JSON grant list; nullopt when the request names none.
std::optional<std::string> requested_acl(const Value& input, const std::string& owner_id) {
  std::vector<Grant> header_grants = grants_from_headers(input);
  std::optional<std::string> canned = input.get_string("ACL");
  if (canned && !header_grants.empty())
    throw s3_errors::invalid_request(
        "Specifying both Canned ACLs and Header Grants is not allowed");
  if (canned) return canned;
  if (!header_grants.empty()) {
    std::vector<Grant> all = grants_of(std::nullopt, owner_id);
    all.clear();
    all = header_grants;
    return grants_to_json(all);
  }
  if (const Value* policy = input.find("AccessControlPolicy"))
    return grants_to_json(grants_from_policy(*policy, owner_id));
  return std::nullopt;
}

// The Owner and Grants members of Get*Acl's output.
void describe_acl(const std::optional<std::string>& acl, const std::string& owner_id,
                  const std::string& owner_name, const std::string& bucket_owner_id,
                  Value& out) {
  Value owner = Value::map();
  if (!owner_name.empty()) owner.set("DisplayName", owner_name);
  owner.set("ID", canonical_user_id(owner_id));
  out.set("Owner", owner);
  ValueList grants;
  for (const Grant& g : grants_of(acl, owner_id, bucket_owner_id)) {
    Value grantee = Value::map();
    if (g.type == "Group") {
      grantee.set("URI", g.uri);
    } else {
      grantee.set("ID", g.id);
      if (g.id == canonical_user_id(owner_id) && !owner_name.empty())
        grantee.set("DisplayName", owner_name);
    }
    grantee.set("Type", g.type);
    grants.push_back(Value::map().set("Grantee", grantee).set("Permission", g.permission));
  }
  out.set("Grants", Value(std::move(grants)));
}

}  // namespace s3

using namespace nimbus::s3;

Result S3Service::get_bucket_acl(CallContext& context, const Value& input) {
  std::string name = bucket_of(input);
  BucketRecord bucket = env_.db.read(
      [&](Connection& c) { return require_bucket(c, name, context, input, Access::ReadAcp); });
  Result result;
  describe_acl(bucket.acl, bucket.owner_id, bucket.owner_name, "", result.output);
  return result;
}

Result S3Service::put_bucket_acl(CallContext& context, const Value& input) {
  std::string name = bucket_of(input);
  // The bucket-owner-* ACLs are accepted on buckets too, where they mean the owner only.
  check_enum(input, "ACL", "ObjectCannedACL", "x-amz-acl");
  write_bucket(name, [&](Connection& c) {
    BucketRecord bucket = require_bucket(c, name, context, input, Access::WriteAcp);
    std::optional<std::string> acl = requested_acl(input, bucket.owner_id);
    if (!acl)
      throw ApiError(400, "MissingSecurityHeader", "Your request was missing a required header")
          .with("MissingHeaderName", "x-amz-acl");
    s3::set_bucket_acl(c, name, *acl);
  });
  return Result{};
}

Result S3Service::get_object_acl(CallContext& context, const Value& input) {
  std::string bucket_name = bucket_of(input);
  std::string key = key_of(input);
  std::optional<std::string> version_id = input.get_string("VersionId");
  auto [object, bucket] = env_.db.read([&](Connection& c) {
    ObjectRecord o =
        require_object(c, bucket_name, key, version_id, context, input, Access::ReadAcp);
    return std::make_pair(std::move(o), *s3::find_bucket(c, bucket_name));
  });
  if (object.delete_marker)
    throw version_id ? s3_errors::method_not_allowed(context.http.method, "DeleteMarker")
                     : s3_errors::no_such_key(key);
  Result result;
  std::string owner_name = object.owner_id == bucket.owner_id ? bucket.owner_name : "";
  describe_acl(object.acl, object.owner_id, owner_name, bucket.owner_id, result.output);
  if (object.version_id != s3::kNullVersion) result.headers.push_back(
      {"x-amz-version-id", object.version_id});
  return result;
}

Result S3Service::put_object_acl(CallContext& context, const Value& input) {
  std::string bucket_name = bucket_of(input);
  std::string key = key_of(input);
  std::optional<std::string> version_id = input.get_string("VersionId");
  check_enum(input, "ACL", "ObjectCannedACL", "x-amz-acl");
  env_.db.write([&](Connection& c) {
    ObjectRecord o =
        require_object(c, bucket_name, key, version_id, context, input, Access::WriteAcp);
    if (o.delete_marker)
      throw version_id ? s3_errors::method_not_allowed(context.http.method, "DeleteMarker")
                       : s3_errors::no_such_key(key);
    std::optional<std::string> acl = requested_acl(input, o.owner_id);
    if (!acl)
      throw ApiError(400, "MissingSecurityHeader", "Your request was missing a required header")
          .with("MissingHeaderName", "x-amz-acl");
    s3::set_object_acl(c, o.id, *acl);
  });
  return Result{};
}

}  // namespace nimbus
