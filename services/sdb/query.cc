// SimpleDB's Select and legacy Query languages: lexers, recursive-descent parsers into the
// Condition tree of services/sdb/query.h, the per-item evaluator, and value_ranges(), which tells
// the store which index ranges can hold the values a predicate accepts.
//
// Select parsing first builds a raw and/or/not/intersection tree of comparisons, then groups each
// maximal subtree whose comparisons all test the same attribute (no every(), no is null) into one
// Predicate, which SimpleDB evaluates against each value of the attribute in turn.
#include "services/sdb/query.h"

#include <algorithm>
#include <cctype>
#include <memory>

#include "services/sdb/errors.h"

namespace nimbus::sdb {

// ---- evaluation -------------------------------------------------------------------------------

bool like_matches(std::string_view pattern, std::string_view value) {
  // Split the pattern into literal pieces separated by unescaped %.
  std::vector<std::string> pieces(1);
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size() && (pattern[i + 1] == '%' || pattern[i + 1] == '\\')) {
      pieces.back() += pattern[++i];
    } else if (c == '%') {
      pieces.emplace_back();
    } else {
      pieces.back() += c;
    }
  }
  if (pieces.size() == 1) return value == pieces[0];
  const std::string& first = pieces.front();
  const std::string& last = pieces.back();
  if (value.size() < first.size() + last.size()) return false;
  if (!value.starts_with(first) || !value.ends_with(last)) return false;
  size_t pos = first.size();
  size_t end = value.size() - last.size();
  for (size_t i = 1; i + 1 < pieces.size(); ++i) {
    if (pieces[i].empty()) continue;
    size_t found = value.substr(0, end).find(pieces[i], pos);
    if (found == std::string_view::npos) return false;
    pos = found + pieces[i].size();
  }
  return true;
}

bool ValueTest::matches(std::string_view v) const {
  switch (kind) {
    case Kind::And:
      return children[0].matches(v) && children[1].matches(v);
    case Kind::Or:
      return children[0].matches(v) || children[1].matches(v);
    case Kind::Not:
      return !children[0].matches(v);
    case Kind::Compare:
      break;
  }
  const std::string& x = operands[0];
  switch (op) {
    case CompareOp::Eq: return v == x;
    case CompareOp::Ne: return v != x;
    case CompareOp::Lt: return v < x;
    case CompareOp::Le: return v <= x;
    case CompareOp::Gt: return v > x;
    case CompareOp::Ge: return v >= x;
    case CompareOp::Like: return like_matches(x, v);
    case CompareOp::NotLike: return !like_matches(x, v);
    case CompareOp::Between: return v >= x && v <= std::string_view(operands[1]);
    case CompareOp::In:
      return std::any_of(operands.begin(), operands.end(),
                         [&](const std::string& o) { return v == o; });
    case CompareOp::StartsWith: return v.starts_with(x);
    case CompareOp::NotStartsWith: return !v.starts_with(x);
  }
  return false;
}

int ValueTest::comparisons() const {
  if (kind == Kind::Compare) return 1;
  int n = 0;
  for (const ValueTest& c : children) n += c.comparisons();
  return n;
}

bool Condition::matches(std::string_view name, const Attributes& attributes) const {
  switch (kind) {
    case Kind::And:
      return children[0].matches(name, attributes) && children[1].matches(name, attributes);
    case Kind::Or:
      return children[0].matches(name, attributes) || children[1].matches(name, attributes);
    case Kind::Not:
      return !children[0].matches(name, attributes);
    case Kind::IsNull:
    case Kind::IsNotNull: {
      bool present = std::any_of(attributes.begin(), attributes.end(),
                                 [&](const auto& a) { return a.first == attribute; });
      return present == (kind == Kind::IsNotNull);
    }
    case Kind::Predicate:
      break;
  }
  if (item_name) return test.matches(name);
  bool any = false;
  for (const auto& [n, v] : attributes) {
    if (n != attribute) continue;
    bool ok = test.matches(v);
    if (every) {
      if (!ok) return false;
      any = true;
    } else if (ok) {
      return true;
    }
  }
  return any;
}

// ---- index ranges -----------------------------------------------------------------------------

namespace {

// The smallest string greater than every string starting with prefix, or nullopt if none.
std::optional<std::string> prefix_successor(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) prefix.pop_back();
  if (prefix.empty()) return std::nullopt;
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

ValueRange prefix_range(const std::string& prefix) {
  ValueRange r;
  r.lo = prefix;
  r.hi = prefix_successor(prefix);
  r.hi_inclusive = false;
  return r;
}

// The literal prefix of a like pattern before its first unescaped %, and whether one exists.
std::pair<std::string, bool> like_prefix(std::string_view pattern) {
  std::string prefix;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size() && (pattern[i + 1] == '%' || pattern[i + 1] == '\\')) {
      prefix += pattern[++i];
    } else if (c == '%') {
      return {prefix, true};
    } else {
      prefix += c;
    }
  }
  return {prefix, false};
}

// Intersection of two ranges (each end keeps the tighter bound).
ValueRange intersect(const ValueRange& a, const ValueRange& b) {
  ValueRange r = a;
  if (b.lo && (!r.lo || *b.lo > *r.lo || (*b.lo == *r.lo && !b.lo_inclusive))) {
    r.lo = b.lo;
    r.lo_inclusive = b.lo_inclusive;
  }
  if (b.hi && (!r.hi || *b.hi < *r.hi || (*b.hi == *r.hi && !b.hi_inclusive))) {
    r.hi = b.hi;
    r.hi_inclusive = b.hi_inclusive;
  }
  return r;
}

}  // namespace

std::optional<std::vector<ValueRange>> value_ranges(const ValueTest& test) {
  switch (test.kind) {
    case ValueTest::Kind::Not:
      return std::nullopt;
    case ValueTest::Kind::Or: {
      auto a = value_ranges(test.children[0]);
      auto b = value_ranges(test.children[1]);
      if (!a || !b) return std::nullopt;
      a->insert(a->end(), b->begin(), b->end());
      return a;
    }
    case ValueTest::Kind::And: {
      auto a = value_ranges(test.children[0]);
      auto b = value_ranges(test.children[1]);
      if (!a) return b;
      if (!b) return a;
      if (a->size() == 1 && b->size() == 1)
        return std::vector<ValueRange>{intersect(a->front(), b->front())};
      return a->size() <= b->size() ? a : b;
    }
    case ValueTest::Kind::Compare:
      break;
  }
  const std::vector<std::string>& o = test.operands;
  ValueRange r;
  switch (test.op) {
    case CompareOp::Eq:
      r.lo = r.hi = o[0];
      return std::vector<ValueRange>{r};
    case CompareOp::Gt:
    case CompareOp::Ge:
      r.lo = o[0];
      r.lo_inclusive = test.op == CompareOp::Ge;
      return std::vector<ValueRange>{r};
    case CompareOp::Lt:
    case CompareOp::Le:
      r.hi = o[0];
      r.hi_inclusive = test.op == CompareOp::Le;
      return std::vector<ValueRange>{r};
    case CompareOp::Between:
      r.lo = o[0];
      r.hi = o[1];
      return std::vector<ValueRange>{r};
    case CompareOp::In: {
      std::vector<ValueRange> out;
      for (const std::string& v : o) {
        ValueRange p;
        p.lo = p.hi = v;
        out.push_back(p);
      }
      return out;
    }
    case CompareOp::StartsWith:
      return std::vector<ValueRange>{prefix_range(o[0])};
    case CompareOp::Like: {
      auto [prefix, wildcard] = like_prefix(o[0]);
      if (!wildcard) {
        r.lo = r.hi = prefix;
        return std::vector<ValueRange>{r};
      }
      if (prefix.empty()) return std::nullopt;
      return std::vector<ValueRange>{prefix_range(prefix)};
    }
    case CompareOp::Ne:
    case CompareOp::NotLike:
    case CompareOp::NotStartsWith:
      return std::nullopt;
  }
  return std::nullopt;
}

// ---- shared parsing helpers -------------------------------------------------------------------

namespace {

constexpr int kMaxPredicates = 20;
// The raw tree's key for itemName() leaves; not a name a user can write.
const std::string kItemNameKey("\0itemName()", 11);
constexpr int kMaxValueTests = 20;
constexpr size_t kMaxRequestedAttributes = 256;
constexpr int64_t kMaxLimit = 2500;
constexpr int kMaxDepth = 100;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

[[noreturn]] void fail(std::string_view expression, size_t position, const std::string& what) {
  std::string near(expression.substr(std::min(position, expression.size()), 30));
  throw sdb_errors::invalid_query_expression(
      what + " at position " + std::to_string(position + 1) +
      (near.empty() ? std::string(" (end of expression)") : " near \"" + near + "\"") + ".");
}

void count_limits(const Condition& c, int& predicates) {
  switch (c.kind) {
    case Condition::Kind::Predicate:
      if (c.test.comparisons() > kMaxValueTests) throw sdb_errors::invalid_number_value_tests();
      [[fallthrough]];
    case Condition::Kind::IsNull:
    case Condition::Kind::IsNotNull:
      if (++predicates > kMaxPredicates) throw sdb_errors::invalid_number_predicates();
      return;
    default:
      for (const Condition& child : c.children) count_limits(child, predicates);
  }
}

// Whether attribute is tested by a predicate (not `is null`) somewhere in c.
bool names_attribute(const Condition& c, const std::string& attribute) {
  switch (c.kind) {
    case Condition::Kind::Predicate:
      return !c.item_name && c.attribute == attribute;
    case Condition::Kind::IsNotNull:
      return c.attribute == attribute;
    case Condition::Kind::IsNull:
      return false;
    default:
      return std::any_of(c.children.begin(), c.children.end(),
                         [&](const Condition& child) { return names_attribute(child, attribute); });
  }
}

void check_sort(const std::optional<Condition>& where, const SortOrder& order) {
  if (!order.attribute) return;
  if (!where || !names_attribute(*where, *order.attribute))
    throw sdb_errors::invalid_sort_expression();
}

Condition binary(Condition::Kind kind, Condition a, Condition b) {
  Condition c;
  c.kind = kind;
  c.children.push_back(std::move(a));
  c.children.push_back(std::move(b));
  return c;
}

ValueTest binary_test(ValueTest::Kind kind, ValueTest a, ValueTest b) {
  ValueTest t;
  t.kind = kind;
  t.children.push_back(std::move(a));
  t.children.push_back(std::move(b));
  return t;
}

// ---- Select -----------------------------------------------------------------------------------

struct Token {
  enum class Type { Word, Name, String, LParen, RParen, Comma, Star, Op, End };
  Type type = Type::End;
  std::string text;  // Word: as written; Name/String: unquoted; Op: the operator
  size_t position = 0;
};

std::vector<Token> lex_select(std::string_view s) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (true) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    Token t;
    t.position = i;
    if (i >= s.size()) {
      tokens.push_back(t);
      return tokens;
    }
    char c = s[i];
    if (c == '(' || c == ')' || c == ',' || c == '*') {
      t.type = c == '(' ? Token::Type::LParen
               : c == ')' ? Token::Type::RParen
               : c == ',' ? Token::Type::Comma
                          : Token::Type::Star;
      t.text = std::string(1, c);
      ++i;
    } else if (c == '\'' || c == '"' || c == '`') {
      // Quoted value ('...' or "...") or name (`...`); the quote doubled stands for itself.
      t.type = c == '`' ? Token::Type::Name : Token::Type::String;
      ++i;
      bool closed = false;
      while (i < s.size()) {
        if (s[i] == c) {
          if (i + 1 < s.size() && s[i + 1] == c) {
            t.text += c;
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        t.text += s[i++];
      }
      if (!closed)
        fail(s, t.position, std::string("Unterminated ") + (c == '`' ? "name" : "string") +
                                " starting with " + c);
    } else if (c == '=' || c == '!' || c == '<' || c == '>') {
      t.type = Token::Type::Op;
      if (c == '!' && (i + 1 >= s.size() || s[i + 1] != '='))
        fail(s, i, "Invalid operator '!' (did you mean '!='?)");
      if ((c == '!' || c == '<' || c == '>') && i + 1 < s.size() && s[i + 1] == '=') {
        t.text = std::string(s.substr(i, 2));
        i += 2;
      } else {
        t.text = std::string(1, c);
        ++i;
      }
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$') {
      t.type = Token::Type::Word;
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' ||
                              s[i] == '$'))
        t.text += s[i++];
    } else {
      fail(s, i, std::string("Unexpected character '") + c + "'");
    }
    tokens.push_back(std::move(t));
  }
}

bool is_reserved(const std::string& word) {
  static const char* kWords[] = {"select", "from",    "where", "and",  "or",   "not",
                                 "intersection", "like", "between", "in", "is", "null",
                                 "every", "order",   "by",    "asc",  "desc", "limit"};
  std::string w = lower(word);
  for (const char* k : kWords)
    if (w == k) return true;
  return false;
}

// A raw comparison before grouping into predicates.
struct RawNode {
  enum class Kind { Leaf, And, Or, Not, Intersection };
  Kind kind = Kind::Leaf;
  // Leaf
  std::string attribute;
  bool item_name = false, every = false;
  enum class LeafType { Value, IsNull, IsNotNull } leaf = LeafType::Value;
  ValueTest test;
  std::vector<std::unique_ptr<RawNode>> children;
};

class SelectParser {
 public:
  explicit SelectParser(std::string_view text) : text_(text), tokens_(lex_select(text)) {}

  SelectQuery parse() {
    SelectQuery q;
    expect_word("select", "The expression must begin with 'select'");
    parse_output(q);
    expect_word("from", "Expected 'from' after the output list");
    q.domain = name("a domain name after 'from'");
    size_t where_begin = peek().position, where_end = where_begin;
    if (accept_word("where")) {
      where_begin = peek().position;
      std::unique_ptr<RawNode> raw = expression(0);
      where_end = peek().position;
      q.where = convert(*raw);
      int predicates = 0;
      count_limits(*q.where, predicates);
    }
    size_t order_begin = peek().position, order_end = order_begin;
    if (accept_word("order")) {
      expect_word("by", "Expected 'by' after 'order'");
      if (peek_word("itemname")) {
        advance();
        expect(Token::Type::LParen, "Expected '(' after itemName");
        expect(Token::Type::RParen, "Expected ')' after itemName(");
        q.order.item_name = true;
      } else {
        q.order.attribute = name("an attribute name after 'order by'");
      }
      if (accept_word("desc")) q.order.descending = true;
      else accept_word("asc");
      order_end = peek().position;
    }
    if (accept_word("limit")) {
      const Token& t = peek();
      if (t.type != Token::Type::Word ||
          !std::all_of(t.text.begin(), t.text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        fail(text_, t.position, "Expected a number after 'limit'");
      int64_t n = t.text.size() > 6 ? kMaxLimit + 1 : std::stoll(t.text);
      if (n < 1 || n > kMaxLimit)
        fail(text_, t.position, "The limit must be between 1 and 2500");
      q.limit = n;
      advance();
    }
    if (peek().type != Token::Type::End) fail(text_, peek().position, "Unexpected token");
    check_sort(q.where, q.order);
    q.fingerprint = "select\n" + output_key(q) + "\n" + q.domain + "\n" +
                    std::string(text_.substr(where_begin, where_end - where_begin)) + "\n" +
                    std::string(text_.substr(order_begin, order_end - order_begin));
    return q;
  }

 private:
  static std::string output_key(const SelectQuery& q) {
    std::string key = std::to_string(static_cast<int>(q.output));
    for (const std::string& a : q.attributes) key += "," + a;
    return key;
  }

  const Token& peek() const { return tokens_[index_]; }
  void advance() {
    if (index_ + 1 < tokens_.size()) ++index_;
  }
  bool peek_word(std::string_view word) const {
    return peek().type == Token::Type::Word && lower(peek().text) == word;
  }
  bool accept_word(std::string_view word) {
    if (!peek_word(word)) return false;
    advance();
    return true;
  }
  void expect_word(std::string_view word, const std::string& message) {
    if (!accept_word(word)) fail(text_, peek().position, message);
  }
  void expect(Token::Type type, const std::string& message) {
    if (peek().type != type) fail(text_, peek().position, message);
    advance();
  }

  // A bare (non-reserved) word or a backtick-quoted name.
  std::string name(const std::string& what) {
    const Token& t = peek();
    if (t.type == Token::Type::Name) {
      std::string n = t.text;
      advance();
      return n;
    }
    if (t.type == Token::Type::Word) {
      if (is_reserved(t.text))
        fail(text_, t.position,
             "Expected " + what + " but found the keyword '" + t.text +
                 "' (quote names that are keywords with backticks)");
      if (std::isdigit(static_cast<unsigned char>(t.text[0])))
        fail(text_, t.position,
             "Expected " + what + " (names that begin with a digit need backticks)");
      std::string n = t.text;
      advance();
      return n;
    }
    fail(text_, t.position, "Expected " + what);
  }

  std::string value(const std::string& after) {
    const Token& t = peek();
    if (t.type != Token::Type::String)
      fail(text_, t.position, "Expected a quoted value after " + after);
    std::string v = t.text;
    advance();
    return v;
  }

  void parse_output(SelectQuery& q) {
    if (peek().type == Token::Type::Star) {
      advance();
      q.output = SelectQuery::Output::All;
      return;
    }
    if (peek_word("itemname")) {
      advance();
      expect(Token::Type::LParen, "Expected '(' after itemName");
      expect(Token::Type::RParen, "Expected ')' after itemName(");
      q.output = SelectQuery::Output::ItemName;
      return;
    }
    if (peek_word("count")) {
      advance();
      expect(Token::Type::LParen, "Expected '(' after count");
      expect(Token::Type::Star, "Expected '*' in count(*)");
      expect(Token::Type::RParen, "Expected ')' after count(*");
      q.output = SelectQuery::Output::Count;
      return;
    }
    q.output = SelectQuery::Output::Attributes;
    do {
      q.attributes.push_back(name("'*', itemName(), count(*) or an attribute name"));
    } while (peek().type == Token::Type::Comma && (advance(), true));
    if (q.attributes.size() > kMaxRequestedAttributes)
      throw sdb_errors::too_many_requested_attributes();
  }

  // Precedence, loosest first: intersection, or, and, not.
  std::unique_ptr<RawNode> expression(int depth) {
    if (depth > kMaxDepth) fail(text_, peek().position, "The expression is nested too deeply");
    auto left = or_expression(depth);
    while (accept_word("intersection")) left = join(RawNode::Kind::Intersection, std::move(left),
                                                    or_expression(depth));
    return left;
  }
  std::unique_ptr<RawNode> or_expression(int depth) {
    auto left = and_expression(depth);
    while (accept_word("or"))
      left = join(RawNode::Kind::Or, std::move(left), and_expression(depth));
    return left;
  }
  std::unique_ptr<RawNode> and_expression(int depth) {
    auto left = not_expression(depth);
    while (accept_word("and"))
      left = join(RawNode::Kind::And, std::move(left), not_expression(depth));
    return left;
  }
  std::unique_ptr<RawNode> not_expression(int depth) {
    if (accept_word("not")) {
      auto n = std::make_unique<RawNode>();
      n->kind = RawNode::Kind::Not;
      n->children.push_back(not_expression(depth + 1));
      return n;
    }
    if (peek().type == Token::Type::LParen) {
      advance();
      auto inner = expression(depth + 1);
      expect(Token::Type::RParen, "Expected ')' to close '('");
      return inner;
    }
    return comparison();
  }
  static std::unique_ptr<RawNode> join(RawNode::Kind kind, std::unique_ptr<RawNode> a,
                                       std::unique_ptr<RawNode> b) {
    auto n = std::make_unique<RawNode>();
    n->kind = kind;
    n->children.push_back(std::move(a));
    n->children.push_back(std::move(b));
    return n;
  }

  std::unique_ptr<RawNode> comparison() {
    auto leaf = std::make_unique<RawNode>();
    if (peek_word("every")) {
      advance();
      expect(Token::Type::LParen, "Expected '(' after every");
      leaf->attribute = name("an attribute name in every()");
      expect(Token::Type::RParen, "Expected ')' after the attribute name in every(");
      leaf->every = true;
    } else if (peek_word("itemname")) {
      advance();
      expect(Token::Type::LParen, "Expected '(' after itemName");
      expect(Token::Type::RParen, "Expected ')' after itemName(");
      leaf->item_name = true;
      leaf->attribute = kItemNameKey;
    } else {
      leaf->attribute = name("an attribute name, itemName() or every() in a comparison");
    }
    const std::string subject = leaf->item_name ? "itemName()" : leaf->attribute;
    ValueTest& t = leaf->test;
    const Token& op = peek();
    if (op.type == Token::Type::Op) {
      static const std::pair<const char*, CompareOp> kOps[] = {
          {"=", CompareOp::Eq}, {"!=", CompareOp::Ne}, {"<", CompareOp::Lt},
          {"<=", CompareOp::Le}, {">", CompareOp::Gt}, {">=", CompareOp::Ge}};
      for (const auto& [text, code] : kOps)
        if (op.text == text) t.op = code;
      std::string op_text = op.text;
      advance();
      t.operands.push_back(value("'" + subject + " " + op_text + "'"));
    } else if (accept_word("like")) {
      t.op = CompareOp::Like;
      t.operands.push_back(value("'like'"));
    } else if (peek_word("not")) {
      advance();
      expect_word("like", "Expected 'like' after 'not' in a comparison");
      t.op = CompareOp::NotLike;
      t.operands.push_back(value("'not like'"));
    } else if (accept_word("between")) {
      t.op = CompareOp::Between;
      t.operands.push_back(value("'between'"));
      expect_word("and", "Expected 'and' between the bounds of 'between'");
      t.operands.push_back(value("'between ... and'"));
    } else if (accept_word("in")) {
      t.op = CompareOp::In;
      expect(Token::Type::LParen, "Expected '(' after 'in'");
      do {
        t.operands.push_back(value("'in ('"));
      } while (peek().type == Token::Type::Comma && (advance(), true));
      expect(Token::Type::RParen, "Expected ')' to close the 'in' list");
    } else if (accept_word("is")) {
      bool negated = accept_word("not");
      expect_word("null", "Expected 'null' after 'is'");
      if (leaf->item_name || leaf->every)
        fail(text_, op.position, "'is null' applies to an attribute name only");
      leaf->leaf = negated ? RawNode::LeafType::IsNotNull : RawNode::LeafType::IsNull;
    } else {
      fail(text_, op.position,
           "Expected a comparison operator (=, !=, <, <=, >, >=, like, not like, between, in, "
           "is null, is not null) after '" + subject + "'");
    }
    return leaf;
  }

  // The attribute all comparisons in `n` test, when n can be one predicate.
  static std::optional<std::string> single_attribute(const RawNode& n) {
    switch (n.kind) {
      case RawNode::Kind::Leaf:
        if (n.leaf != RawNode::LeafType::Value || n.every) return std::nullopt;
        return n.attribute;
      case RawNode::Kind::Intersection:
        return std::nullopt;
      default: {
        std::optional<std::string> first;
        for (const auto& child : n.children) {
          auto a = single_attribute(*child);
          if (!a || (first && *first != *a)) return std::nullopt;
          first = a;
        }
        return first;
      }
    }
  }

  static ValueTest to_test(const RawNode& n) {
    switch (n.kind) {
      case RawNode::Kind::Leaf:
        return n.test;
      case RawNode::Kind::Not: {
        ValueTest t;
        t.kind = ValueTest::Kind::Not;
        t.children.push_back(to_test(*n.children[0]));
        return t;
      }
      default:
        return binary_test(n.kind == RawNode::Kind::And ? ValueTest::Kind::And
                                                         : ValueTest::Kind::Or,
                           to_test(*n.children[0]), to_test(*n.children[1]));
    }
  }

  static Condition convert(const RawNode& n) {
    if (auto attribute = single_attribute(n)) {
      Condition c;
      c.kind = Condition::Kind::Predicate;
      c.attribute = *attribute;
      c.item_name = *attribute == kItemNameKey && is_item_name(n);
      if (c.item_name) c.attribute.clear();
      c.test = to_test(n);
      return c;
    }
    switch (n.kind) {
      case RawNode::Kind::Leaf: {
        Condition c;
        c.attribute = n.attribute;
        if (n.leaf == RawNode::LeafType::IsNull) c.kind = Condition::Kind::IsNull;
        else if (n.leaf == RawNode::LeafType::IsNotNull) c.kind = Condition::Kind::IsNotNull;
        else {
          c.kind = Condition::Kind::Predicate;
          c.every = n.every;
          c.test = n.test;
        }
        return c;
      }
      case RawNode::Kind::Not: {
        Condition c;
        c.kind = Condition::Kind::Not;
        c.children.push_back(convert(*n.children[0]));
        return c;
      }
      case RawNode::Kind::Or:
        return binary(Condition::Kind::Or, convert(*n.children[0]), convert(*n.children[1]));
      default:  // And, Intersection
        return binary(Condition::Kind::And, convert(*n.children[0]), convert(*n.children[1]));
    }
  }

  // Whether the leaves of n test itemName() (rather than an attribute named "itemName()").
  static bool is_item_name(const RawNode& n) {
    if (n.kind == RawNode::Kind::Leaf) return n.item_name;
    return std::all_of(n.children.begin(), n.children.end(),
                       [](const auto& c) { return is_item_name(*c); });
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t index_ = 0;
};

// ---- legacy Query -----------------------------------------------------------------------------

class LegacyParser {
 public:
  explicit LegacyParser(std::string_view text) : s_(text) {}

  LegacyQuery parse() {
    LegacyQuery q;
    skip_space();
    if (pos_ < s_.size() && !at_word("sort")) {
      q.where = set_expression(0);
      int predicates = 0;
      count_limits(*q.where, predicates);
    }
    skip_space();
    if (at_word("sort")) {
      pos_ += 4;
      skip_space();
      q.order.attribute = quoted("an attribute name after 'sort'");
      skip_space();
      if (at_word("desc")) {
        q.order.descending = true;
        pos_ += 4;
      } else if (at_word("asc")) {
        pos_ += 3;
      }
      skip_space();
    }
    if (pos_ < s_.size()) fail(s_, pos_, "Unexpected text");
    check_sort(q.where, q.order);
    q.fingerprint = "query\n" + std::string(s_);
    return q;
  }

 private:
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool at_word(std::string_view word) const {
    if (s_.size() - pos_ < word.size()) return false;
    if (lower(s_.substr(pos_, word.size())) != word) return false;
    size_t end = pos_ + word.size();
    return end == s_.size() || !(std::isalnum(static_cast<unsigned char>(s_[end])) ||
                                 s_[end] == '-' || s_[end] == '_');
  }
  bool accept_word(std::string_view word) {
    skip_space();
    if (!at_word(word)) return false;
    pos_ += word.size();
    return true;
  }

  // 'text' with \' and \\ escapes (and '' for a quote).
  std::string quoted(const std::string& what) {
    skip_space();
    if (pos_ >= s_.size() || s_[pos_] != '\'') fail(s_, pos_, "Expected " + what + " in quotes");
    size_t start = pos_++;
    std::string out;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '\\' && pos_ + 1 < s_.size()) {
        out += s_[pos_ + 1];
        pos_ += 2;
      } else if (c == '\'') {
        if (pos_ + 1 < s_.size() && s_[pos_ + 1] == '\'') {
          out += '\'';
          pos_ += 2;
        } else {
          ++pos_;
          return out;
        }
      } else {
        out += c;
        ++pos_;
      }
    }
    fail(s_, start, "Unterminated quoted string");
  }

  // set := term (('intersection' | 'union') term)*, evaluated left to right.
  Condition set_expression(int depth) {
    if (depth > kMaxDepth) fail(s_, pos_, "The expression is nested too deeply");
    Condition left = term(depth);
    while (true) {
      if (accept_word("intersection")) {
        left = binary(Condition::Kind::And, std::move(left), term(depth));
      } else if (accept_word("union")) {
        left = binary(Condition::Kind::Or, std::move(left), term(depth));
      } else {
        return left;
      }
    }
  }

  Condition term(int depth) {
    if (accept_word("not")) {
      Condition c;
      c.kind = Condition::Kind::Not;
      c.children.push_back(term(depth + 1));
      return c;
    }
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == '(') {
      ++pos_;
      Condition inner = set_expression(depth + 1);
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != ')') fail(s_, pos_, "Expected ')' to close '('");
      ++pos_;
      return inner;
    }
    if (pos_ >= s_.size() || s_[pos_] != '[')
      fail(s_, pos_, "Expected a predicate in brackets, such as ['name' = 'value']");
    ++pos_;
    Condition c;
    c.kind = Condition::Kind::Predicate;
    c.test = predicate_or(c.attribute, depth);
    skip_space();
    if (pos_ >= s_.size() || s_[pos_] != ']') fail(s_, pos_, "Expected ']' to close the predicate");
    ++pos_;
    return c;
  }

  ValueTest predicate_or(std::string& attribute, int depth) {
    ValueTest left = predicate_and(attribute, depth);
    while (accept_word("or"))
      left = binary_test(ValueTest::Kind::Or, std::move(left), predicate_and(attribute, depth));
    return left;
  }
  ValueTest predicate_and(std::string& attribute, int depth) {
    ValueTest left = predicate_not(attribute, depth);
    while (accept_word("and"))
      left = binary_test(ValueTest::Kind::And, std::move(left), predicate_not(attribute, depth));
    return left;
  }
  ValueTest predicate_not(std::string& attribute, int depth) {
    if (depth > kMaxDepth) fail(s_, pos_, "The expression is nested too deeply");
    if (accept_word("not")) {
      ValueTest t;
      t.kind = ValueTest::Kind::Not;
      t.children.push_back(predicate_not(attribute, depth + 1));
      return t;
    }
    size_t start = (skip_space(), pos_);
    std::string name = quoted("an attribute name");
    if (attribute.empty()) attribute = name;
    else if (attribute != name)
      fail(s_, start,
           "All comparisons in one predicate must name the same attribute ('" + attribute +
               "' and '" + name + "'); combine predicates with intersection or union");
    ValueTest t;
    skip_space();
    static const std::pair<const char*, CompareOp> kOps[] = {
        {"does-not-start-with", CompareOp::NotStartsWith}, {"starts-with", CompareOp::StartsWith},
        {"!=", CompareOp::Ne}, {"<=", CompareOp::Le}, {">=", CompareOp::Ge},
        {"=", CompareOp::Eq},  {"<", CompareOp::Lt},  {">", CompareOp::Gt}};
    bool found = false;
    for (const auto& [text, code] : kOps) {
      std::string_view op(text);
      if (s_.substr(pos_, op.size()) == op ||
          (std::isalpha(static_cast<unsigned char>(op[0])) && at_word(op))) {
        t.op = code;
        pos_ += op.size();
        found = true;
        break;
      }
    }
    if (!found)
      fail(s_, pos_,
           "Expected a comparison operator (=, !=, <, <=, >, >=, starts-with, "
           "does-not-start-with) after '" + name + "'");
    t.operands.push_back(quoted("a value"));
    return t;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

SelectQuery parse_select(std::string_view expression) {
  return SelectParser(expression).parse();
}

LegacyQuery parse_legacy_query(std::string_view expression) {
  return LegacyParser(expression).parse();
}

}  // namespace nimbus::sdb
