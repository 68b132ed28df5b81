// The one XML writer (common/xml.h): xml_escape() and XmlWriter, which every codec and service
// uses to build response documents. Output is compact (no indentation), as AWS sends it.
#include "common/xml.h"

namespace nimbus {

namespace {

void append_char_reference(std::string& out, unsigned char c) {
  static const char kHex[] = "0123456789ABCDEF";
  out += "&#x";
  if (c >= 0x10) out += kHex[c >> 4];
  out += kHex[c & 0xF];
  out += ';';
}

void append_attributes(std::string& out, const XmlWriter::Attributes& attributes) {
  for (const auto& [name, value] : attributes) {
    out += ' ';
    out += name;
    out += "=\"";
    out += xml_escape(value);
    out += '"';
  }
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // Tab, line feed and carriage return are legal but would be normalized away by a parser
        // (CR always, all three inside attribute values); the other C0 controls are not legal
        // XML 1.0 characters at all, so they too travel as references, the way S3 writes keys.
        if (c < 0x20) {
          append_char_reference(out, c);
        } else {
          out += ch;
        }
    }
  }
  return out;
}

void XmlWriter::declaration() { out_ += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"; }

void XmlWriter::open(std::string_view name, const Attributes& attributes) {
  out_ += '<';
  out_ += name;
  append_attributes(out_, attributes);
  out_ += '>';
  open_.emplace_back(name);
}

void XmlWriter::close() {
  if (open_.empty()) return;
  out_ += "</";
  out_ += open_.back();
  out_ += '>';
  open_.pop_back();
}

void XmlWriter::element(std::string_view name, std::string_view text,
                        const Attributes& attributes) {
  out_ += '<';
  out_ += name;
  append_attributes(out_, attributes);
  out_ += '>';
  out_ += xml_escape(text);
  out_ += "</";
  out_ += name;
  out_ += '>';
}

void XmlWriter::empty_element(std::string_view name, const Attributes& attributes) {
  out_ += '<';
  out_ += name;
  append_attributes(out_, attributes);
  out_ += "/>";
}

void XmlWriter::text(std::string_view text) { out_ += xml_escape(text); }

void XmlWriter::raw(std::string_view xml) { out_ += xml; }

std::string XmlWriter::take() {
  while (!open_.empty()) close();
  std::string result = std::move(out_);
  out_.clear();
  return result;
}

}  // namespace nimbus
