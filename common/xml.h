// The one XML writer. Builds documents element by element, escaping text and attribute values;
// parsing uses tinyxml2 directly (protocol/ and services that read XML bodies).
//
//   XmlWriter w;
//   w.declaration();
//   w.open("ListAllMyBucketsResult", {{"xmlns", "http://s3.amazonaws.com/doc/2006-03-01/"}});
//   w.element("ID", owner_id);
//   w.close();
//   std::string xml = w.take();
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nimbus {

// Escapes & < > " ' and control characters that XML 1.0 allows only as references.
std::string xml_escape(std::string_view text);

class XmlWriter {
 public:
  using Attributes = std::vector<std::pair<std::string, std::string>>;
  void declaration();  // <?xml version="1.0" encoding="UTF-8"?>
  void open(std::string_view name, const Attributes& attributes = {});
  void close();  // closes the innermost open element
  // <name>escaped text</name>
  void element(std::string_view name, std::string_view text, const Attributes& attributes = {});
  void empty_element(std::string_view name, const Attributes& attributes = {});  // <name/>
  void text(std::string_view text);  // escaped
  void raw(std::string_view xml);    // appended as is
  std::string take();  // closes any open elements and returns the document

 private:
  std::string out_;
  std::vector<std::string> open_;
};

}  // namespace nimbus
