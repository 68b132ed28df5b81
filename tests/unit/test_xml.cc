// Tests for the one XML writer (common/xml.h): escaping, nesting, attributes and take().
#include <doctest/doctest.h>

#include "common/xml.h"

using namespace nimbus;

TEST_CASE("xml_escape escapes the five markup characters") {
  CHECK(xml_escape("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d&quot;e&apos;f");
  CHECK(xml_escape("plain text") == "plain text");
  CHECK(xml_escape("") == "");
}

TEST_CASE("xml_escape turns control characters into character references") {
  CHECK(xml_escape(std::string("a\rb")) == "a&#xD;b");
  CHECK(xml_escape(std::string("\t\n")) == "&#x9;&#xA;");
  CHECK(xml_escape(std::string("x\x01y\x1fz", 5)) == "x&#x1;y&#x1F;z");
  CHECK(xml_escape(std::string("\0", 1)) == "&#x0;");
}

TEST_CASE("xml_escape leaves UTF-8 bytes alone") {
  CHECK(xml_escape("caf\xc3\xa9 \xe2\x82\xac") == "caf\xc3\xa9 \xe2\x82\xac");
}

TEST_CASE("XmlWriter nests elements and escapes text and attributes") {
  XmlWriter w;
  w.declaration();
  w.open("Root", {{"xmlns", "http://example.com/a?b&c"}});
  w.element("Name", "x<y");
  w.open("List");
  w.element("member", "1");
  w.empty_element("Empty", {{"k", "\"v\""}});
  w.close();
  w.text("tail&");
  w.raw("<Raw/>");
  w.close();
  CHECK(w.take() ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<Root xmlns=\"http://example.com/a?b&amp;c\"><Name>x&lt;y</Name>"
        "<List><member>1</member><Empty k=\"&quot;v&quot;\"/></List>tail&amp;<Raw/></Root>");
}

TEST_CASE("XmlWriter take closes every open element and resets the writer") {
  XmlWriter w;
  w.open("A");
  w.open("B");
  w.element("C", "");
  CHECK(w.take() == "<A><B><C></C></B></A>");
  w.open("D");
  CHECK(w.take() == "<D></D>");
  w.close();  // nothing open: harmless
  CHECK(w.take() == "");
}
