// The ec2 codec: decode() reads Action and the parameters like the query codec but with EC2's
// naming (queryName, else the capitalized locationName; lists always "Name.N"); encode() writes
// <OpResponse xmlns="http://ec2.amazonaws.com/doc/VERSION/"><requestId/>members</OpResponse>
// with lists as <name><item/></name>; encode_error() writes
// <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>.
// Entry point: ec2_codec() (protocol/query_codec.h), reached through codec_for("ec2").
#include "common/xml.h"
#include "protocol/query_codec.h"
#include "protocol/query_common.h"

namespace nimbus {

namespace {

void set_common_headers(HttpResponse& response, const ResponseMeta& meta) {
  response.set_header("Content-Type", "text/xml;charset=UTF-8");
  if (!meta.request_id.empty()) response.set_header("x-amzn-RequestId", meta.request_id);
}

class Ec2Codec : public Codec {
 public:
  DecodedRequest decode(const HttpRequest& request, const ServiceModel& model,
                        const DecodeHints& hints) const override {
    DecodedRequest out = query::decode_request(request, model, query::Dialect::Ec2, "web service");
    return out;
  }

  HttpResponse encode(const ServiceModel& model, const Operation& operation, const Value& output,
                      const ResponseMeta& meta) const override {
    XmlWriter w;
    w.declaration();
    w.open(operation.name + "Response",
           {{"xmlns", "http://ec2.amazonaws.com/doc/" + model.api_version + "/"}});
    w.element("requestId", meta.request_id);
    if (operation.output) {
      query::write_members(w, *operation.output, output, query::Dialect::Ec2);
    } else {
      // EC2 answers calls without an output shape with <return>true</return>; boto 2 reads it.
      w.element("return", "true");
    }
    HttpResponse response;
    response.status = operation.response_code ? operation.response_code : 200;
    response.body = w.take();
    set_common_headers(response, meta);
    return response;
  }

  HttpResponse encode_error(const ServiceModel& model, const ApiError& error,
                            const ResponseMeta& meta) const override {
    XmlWriter w;
    w.declaration();
    w.open("Response");
    w.open("Errors");
    w.open("Error");
    w.element("Code", error.query_code.empty() ? error.code : error.query_code);
    w.element("Message", error.message);
    for (const auto& [name, value] : error.details) w.element(name, value);
    w.close();
    w.close();
    w.element("RequestID", meta.request_id);
    HttpResponse response;
    response.status = error.http_status;
    response.body = w.take();
    set_common_headers(response, meta);
    for (const Header& h : error.headers) response.add_header(h.name, h.value);
    return response;
  }
};

}  // namespace

const Codec& ec2_codec() {
  static const Ec2Codec codec;
  return codec;
}

}  // namespace nimbus
