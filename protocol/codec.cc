// codec_for(): the shared codec instance for each wire protocol name a ServiceModel carries
// ("rest-xml", "query", "ec2", "json"). The codecs themselves live in rest_xml_codec.cc,
// query_codec.cc, ec2_codec.cc and json_codec.cc.
#include "protocol/codec.h"

#include <stdexcept>
#include <string>

#include "protocol/json_codec.h"
#include "protocol/query_codec.h"
#include "protocol/rest_xml_codec.h"

namespace nimbus {

const Codec& codec_for(std::string_view protocol) {
  if (protocol == "rest-xml") return rest_xml_codec();
  if (protocol == "query") return query_codec();
  if (protocol == "ec2") return ec2_codec();
  if (protocol == "json") return json_codec();
  throw std::out_of_range("no codec for protocol \"" + std::string(protocol) + "\"");
}

}  // namespace nimbus
