// PartiQL for DynamoDB: tokenizer, recursive-descent parser with parameter binding, and the
// planner that renders a statement as item-operation inputs (#n / :v placeholders in the
// expression members). See partiql.h.
//
// Grammar (keywords case-insensitive; names bare or "double-quoted"; strings 'single-quoted'):
//   statement := (select | insert | update | delete | EXISTS '(' select ')') [';']
//   select    := SELECT ('*' | path (',' path)*) FROM name ['.' name] [WHERE expr]
//                [ORDER BY name [ASC | DESC] (',' ...)*]
//   insert    := INSERT INTO name VALUE value
//   update    := UPDATE name (SET path '=' sum (',' ...)* | REMOVE path (',' path)*)+
//                WHERE expr [RETURNING (ALL | MODIFIED) (OLD | NEW) '*']
//   delete    := DELETE FROM name WHERE expr [RETURNING ALL OLD '*']
//   expr      := or ;  or := and (OR and)* ;  and := not (AND not)* ;  not := NOT not | pred
//   pred      := sum [cmp sum | [NOT] BETWEEN sum AND sum | [NOT] IN '(' sum, ... ')'
//                     | [NOT] IN '[' sum, ... ']'
//                     | IS [NOT] (MISSING | NULL | STRING | NUMERIC | ...)]
//   sum       := primary (('+' | '-') primary)*
//   primary   := '?' | string | number | TRUE | FALSE | NULL | MISSING | '[' list ']'
//              | '{' string ':' value, ... '}' | '<<' value, ... '>>' | function '(' expr, ... ')'
//              | '(' expr ')' | path
//   path      := name ('.' name | '[' digits ']' | '[' string ']')*
#include "services/dynamodb/partiql.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "services/dynamodb/errors.h"
#include "services/dynamodb/number.h"

namespace nimbus::ddb::partiql {
namespace {

namespace err = ddb_errors;

ApiError malformed(const std::string& detail) {
  return err::validation("Statement wasn't well formed, can't be processed: " + detail);
}

struct Token {
  enum class Kind { Ident, Quoted, String, Number, Punct, End };
  Kind kind = Kind::End;
  std::string text;
};

bool ieq(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)); }
bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::vector<Token> tokenize(std::string_view in) {
  std::vector<Token> out;
  size_t i = 0;
  auto quoted = [&](char q) {
    std::string s;
    for (++i;; ++i) {
      if (i >= in.size()) throw malformed("Unterminated quoted text");
      if (in[i] == q) {
        if (i + 1 < in.size() && in[i + 1] == q) {
          s += q;
          ++i;
          continue;
        }
        ++i;
        return s;
      }
      s += in[i];
    }
  };
  while (i < in.size()) {
    char c = in[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (in.substr(i, 2) == "--") {
      while (i < in.size() && in[i] != '\n') ++i;
    } else if (in.substr(i, 2) == "/*") {
      size_t end = in.find("*/", i + 2);
      if (end == std::string_view::npos) throw malformed("Unterminated comment");
      i = end + 2;
    } else if (c == '\'') {
      out.push_back({Token::Kind::String, quoted('\'')});
    } else if (c == '"') {
      out.push_back({Token::Kind::Quoted, quoted('"')});
    } else if (digit(c) || (c == '.' && i + 1 < in.size() && digit(in[i + 1]))) {
      size_t start = i;
      while (i < in.size() && (digit(in[i]) || in[i] == '.')) ++i;
      if (i < in.size() && (in[i] == 'e' || in[i] == 'E')) {
        size_t j = i + 1;
        if (j < in.size() && (in[j] == '+' || in[j] == '-')) ++j;
        if (j < in.size() && digit(in[j])) {
          i = j;
          while (i < in.size() && digit(in[i])) ++i;
        }
      }
      out.push_back({Token::Kind::Number, std::string(in.substr(start, i - start))});
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = i;
      while (i < in.size() && word_char(in[i])) ++i;
      out.push_back({Token::Kind::Ident, std::string(in.substr(start, i - start))});
    } else {
      static const char* const two[] = {"<>", "!=", "<=", ">=", "<<", ">>"};
      std::string p(1, c);
      for (const char* t : two)
        if (in.substr(i, 2) == t) p = t;
      if (std::string("()[]{},.:;*?=<>+-!").find(c) == std::string::npos) {
        // Named whole (a UTF-8 lead byte and its continuation bytes), so the message is UTF-8.
        for (size_t j = i + 1; j < in.size() && (in[j] & 0xC0) == 0x80 && (c & 0x80); ++j)
          p += in[j];
        throw malformed("Unexpected character: " + p);
      }
      if (p == "!") throw malformed("Unexpected character: !");
      i += p.size();
      out.push_back({Token::Kind::Punct, p});
    }
  }
  out.push_back({Token::Kind::End, ""});
  return out;
}

const std::set<std::string>& functions() {
  static const std::set<std::string> f = {"begins_with", "contains", "attribute_type", "size",
                                          "attribute_exists", "attribute_not_exists",
                                          "list_append", "set_add", "set_delete"};
  return f;
}

// IS operands and the attribute type they test.
bool is_type_word(const std::string& word, std::string* type) {
  static const std::map<std::string, std::string> words = {
      {"NULL", "NULL"}, {"BOOLEAN", "BOOL"}, {"BLOB", "B"}, {"STRING", "S"}, {"NUMERIC", "N"},
      {"STRUCT", "M"}, {"TUPLE", "M"}, {"LIST", "L"}};
  std::string up = word;
  for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto it = words.find(up);
  if (it == words.end()) return false;
  *type = it->second;
  return true;
}

class Parser {
 public:
  Parser(std::string_view text, const std::vector<Attr>& params)
      : tokens_(tokenize(text)), params_(params) {}

  Statement parse() {
    Statement s;
    if (keyword("SELECT")) {
      s.kind = Statement::Kind::Select;
      select_rest(s);
    } else if (keyword("EXISTS")) {
      s.kind = Statement::Kind::Exists;
      expect("(");
      if (!keyword("SELECT")) throw malformed("Expected SELECT inside EXISTS");
      select_rest(s);
      expect(")");
    } else if (keyword("INSERT")) {
      s.kind = Statement::Kind::Insert;
      expect_keyword("INTO");
      s.table = table_name();
      expect_keyword("VALUE");
      Expr v = primary();
      if (v.kind != Expr::Kind::Literal || v.literal.type != Type::M)
        throw err::validation("Unsupported format in item expression. Please use struct format "
                              "{...} to express item values for insert statement.");
      s.item = v.literal.map;
      if (keyword("RETURNING")) throw err::validation("RETURNING is not supported in INSERT");
    } else if (keyword("UPDATE")) {
      s.kind = Statement::Kind::Update;
      s.table = table_name();
      while (true) {
        if (keyword("SET")) {
          do {
            Assignment a;
            a.path = path();
            expect("=");
            a.value = sum();
            s.updates.push_back(std::move(a));
          } while (punct(","));
        } else if (keyword("REMOVE")) {
          do {
            Assignment a;
            a.remove = true;
            a.path = path();
            s.updates.push_back(std::move(a));
          } while (punct(","));
        } else {
          break;
        }
      }
      if (s.updates.empty()) throw malformed("Expected SET or REMOVE in UPDATE");
      where(s, true);
      returning(s);
    } else if (keyword("DELETE")) {
      s.kind = Statement::Kind::Delete;
      expect_keyword("FROM");
      s.table = table_name();
      where(s, true);
      returning(s);
      if (!s.returning.empty() && s.returning != "ALL_OLD")
        throw err::validation("Invalid returning clause: RETURNING " + returning_text_ +
                              " *. Only RETURNING ALL OLD * is allowed in DELETE statements.");
    } else {
      throw malformed("Expected data manipulation");
    }
    punct(";");
    if (peek().kind != Token::Kind::End) throw unexpected();
    if (used_ != params_.size())
      throw err::validation("Number of parameters in request and statement don't match.");
    return s;
  }

 private:
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  const std::vector<Attr>& params_;
  size_t used_ = 0;
  std::string returning_text_;

  const Token& peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  ApiError unexpected() const {
    const Token& t = peek();
    if (t.kind == Token::Kind::End) return malformed("Unexpected end of statement");
    std::string text = t.kind == Token::Kind::String ? "'" + t.text + "'"
                       : t.kind == Token::Kind::Quoted ? "\"" + t.text + "\"" : t.text;
    return malformed("Unexpected token: " + text);
  }
  bool keyword(const char* word) {
    if (peek().kind == Token::Kind::Ident && ieq(peek().text, word)) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool at_keyword(const char* word, size_t ahead = 0) const {
    return peek(ahead).kind == Token::Kind::Ident && ieq(peek(ahead).text, word);
  }
  void expect_keyword(const char* word) {
    if (!keyword(word)) throw unexpected();
  }
  bool punct(const char* p) {
    if (peek().kind == Token::Kind::Punct && peek().text == p) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(const char* p) {
    if (!punct(p)) throw unexpected();
  }

  std::string name() {
    const Token& t = peek();
    if (t.kind != Token::Kind::Ident && t.kind != Token::Kind::Quoted) throw unexpected();
    if (t.text.empty()) throw err::validation("Path component cannot be an empty string");
    ++pos_;
    return t.text;
  }

  std::string table_name() {
    std::string n = name();
    bool ok = n.size() >= 3 && n.size() <= 255 &&
              std::all_of(n.begin(), n.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                       c == '.';
              });
    if (!ok)
      throw err::validation("Table name should be within the length [3, 255] and only contain "
                            "'a-z', 'A-Z', '0-9', '-', '_', '.'.");
    return n;
  }

  void select_rest(Statement& s) {
    if (punct("*")) {
      if (peek().kind == Token::Kind::Punct && peek().text == ",")
        throw err::validation("Other attributes should not be present in the projection when '*' "
                              "is used.");
    } else {
      do {
        if (peek().kind == Token::Kind::Punct && peek().text == "*")
          throw err::validation("Other attributes should not be present in the projection when "
                                "'*' is used.");
        s.projection.push_back(path());
      } while (punct(","));
    }
    expect_keyword("FROM");
    s.table = table_name();
    if (punct(".")) s.index = name();
    if (punct(".")) throw err::validation("A path may contain at most 2 components in the FROM "
                                          "clause");
    where(s, false);
    if (keyword("ORDER")) {
      expect_keyword("BY");
      do {
        Statement::Order o;
        o.name = name();
        if (keyword("DESC")) o.descending = true;
        else keyword("ASC");
        s.order_by.push_back(o);
      } while (punct(","));
    }
  }

  void where(Statement& s, bool required) {
    if (keyword("WHERE")) {
      s.has_where = true;
      s.where = expr();
    } else if (required) {
      throw err::validation("Where clause does not contain a mandatory equality on all key "
                            "attributes");
    }
  }

  void returning(Statement& s) {
    if (!keyword("RETURNING")) return;
    std::string which = keyword("ALL") ? "ALL" : keyword("MODIFIED") ? "MODIFIED" : "";
    std::string age = which.empty() ? "" : keyword("OLD") ? "OLD" : keyword("NEW") ? "NEW" : "";
    if (age.empty()) throw unexpected();
    if (!punct("*"))
      throw err::validation("Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING "
                            "clause");
    returning_text_ = which + " " + age;
    s.returning = (which == "ALL" ? "ALL_" : "UPDATED_") + age;
  }

  Path path() {
    Path p;
    if (peek().kind == Token::Kind::Punct && peek().text == "[")
      throw err::validation("A path cannot start with a list index");
    p.push_back(PathElem{name(), -1});
    while (true) {
      if (punct(".")) {
        p.push_back(PathElem{name(), -1});
      } else if (punct("[")) {
        const Token& t = peek();
        if (t.kind == Token::Kind::Number &&
            std::all_of(t.text.begin(), t.text.end(), digit)) {
          if (t.text.size() > 9)
            throw err::validation("List index is not within the allowable range; index: [" +
                                  t.text + "]");
          p.push_back(PathElem{"", std::stoi(t.text)});
        } else if (t.kind == Token::Kind::String) {
          if (t.text.empty()) throw err::validation("Path component cannot be an empty string");
          p.push_back(PathElem{t.text, -1});
        } else {
          throw unexpected();
        }
        ++pos_;
        expect("]");
      } else {
        return p;
      }
    }
  }

  Expr expr() {
    Expr left = conj();
    while (keyword("OR")) left = binary(Expr::Kind::Or, std::move(left), conj());
    return left;
  }
  Expr conj() {
    Expr left = negation();
    while (keyword("AND")) left = binary(Expr::Kind::And, std::move(left), negation());
    return left;
  }
  Expr negation() {
    Depth depth(depth_);
    if (keyword("NOT")) {
      Expr e;
      e.kind = Expr::Kind::Not;
      e.args.push_back(negation());
      return e;
    }
    return predicate();
  }
  static Expr binary(Expr::Kind kind, Expr a, Expr b, std::string op = "") {
    Expr e;
    e.kind = kind;
    e.op = std::move(op);
    e.args.push_back(std::move(a));
    e.args.push_back(std::move(b));
    return e;
  }

  Expr predicate() {
    Expr left = sum();
    const Token& t = peek();
    if (t.kind == Token::Kind::Punct &&
        (t.text == "=" || t.text == "<>" || t.text == "!=" || t.text == "<" || t.text == "<=" ||
         t.text == ">" || t.text == ">=")) {
      std::string op = t.text == "!=" ? "<>" : t.text;
      ++pos_;
      return binary(Expr::Kind::Compare, std::move(left), sum(), op);
    }
    bool negated = false;
    if (at_keyword("NOT") && (at_keyword("BETWEEN", 1) || at_keyword("IN", 1))) {
      ++pos_;
      negated = true;
    }
    if (keyword("BETWEEN")) {
      Expr e;
      e.kind = Expr::Kind::Between;
      e.negated = negated;
      e.args.push_back(std::move(left));
      e.args.push_back(sum());
      expect_keyword("AND");
      e.args.push_back(sum());
      return e;
    }
    if (keyword("IN")) {
      Expr e;
      e.kind = Expr::Kind::In;
      e.negated = negated;
      e.args.push_back(std::move(left));
      bool bracket = punct("[");
      if (!bracket) expect("(");
      do e.args.push_back(sum());
      while (punct(","));
      expect(bracket ? "]" : ")");
      return e;
    }
    if (keyword("IS")) {
      Expr e;
      e.kind = Expr::Kind::Is;
      e.negated = keyword("NOT");
      if (peek().kind != Token::Kind::Ident) throw unexpected();
      std::string word = peek().text;
      ++pos_;
      if (ieq(word, "MISSING")) e.op = "MISSING";
      else if (!is_type_word(word, &e.op))
        throw err::validation("Unsupported data type for IS operator: " + word + ". Supported "
                              "data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, "
                              "STRUCT, TUPLE, LIST]");
      e.args.push_back(std::move(left));
      return e;
    }
    return left;
  }

  Expr sum() {
    Expr left = primary();
    while (peek().kind == Token::Kind::Punct && (peek().text == "+" || peek().text == "-")) {
      Expr::Kind kind = peek().text == "+" ? Expr::Kind::Plus : Expr::Kind::Minus;
      ++pos_;
      left = binary(kind, std::move(left), primary());
    }
    return left;
  }

  static Expr literal(Attr a) {
    Expr e;
    e.kind = Expr::Kind::Literal;
    e.literal = std::move(a);
    return e;
  }

  Attr number(const std::string& text) {
    std::string error;
    std::optional<Decimal> d = Decimal::parse(text, &error);
    if (!d) throw err::validation(error);
    return Attr::num(d->str());
  }

  // A value inside a list, map or bag: a literal (MISSING only where the caller allows it).
  Expr element() {
    Expr e = primary();
    if (e.kind != Expr::Kind::Literal && e.kind != Expr::Kind::Missing)
      throw malformed("Only literal values are allowed in collection literals");
    return e;
  }

  // Nesting (parentheses, NOT, collection literals) is bounded, so a hostile statement cannot
  // exhaust the handler's stack.
  struct Depth {
    explicit Depth(int& d) : d_(d) {
      if (++d_ > kMaxDepth) throw malformed("Statement is nested too deeply");
    }
    ~Depth() { --d_; }
    int& d_;
  };
  static constexpr int kMaxDepth = 100;
  int depth_ = 0;

  Expr primary() {
    Depth depth(depth_);
    const Token t = peek();
    if (t.kind == Token::Kind::End) throw unexpected();
    if (t.kind == Token::Kind::String) {
      ++pos_;
      return literal(Attr::str(t.text));
    }
    if (t.kind == Token::Kind::Number) {
      ++pos_;
      return literal(number(t.text));
    }
    if (t.kind == Token::Kind::Punct) {
      if (t.text == "?") {
        ++pos_;
        if (used_ >= params_.size())
          throw err::validation("Number of parameters in request and statement don't match.");
        return literal(params_[used_++]);
      }
      if (t.text == "-" && peek(1).kind == Token::Kind::Number) {
        std::string digits = peek(1).text;
        pos_ += 2;
        return literal(number("-" + digits));
      }
      if (t.text == "(") {
        ++pos_;
        Expr e = expr();
        expect(")");
        return e;
      }
      if (t.text == "[") {
        ++pos_;
        Attr list;
        list.type = Type::L;
        if (!punct("]")) {
          do {
            Expr e = element();
            if (e.kind == Expr::Kind::Missing) throw malformed("MISSING is not a list element");
            list.list.push_back(std::move(e.literal));
          } while (punct(","));
          expect("]");
        }
        return literal(std::move(list));
      }
      if (t.text == "{") {
        ++pos_;
        Attr map;
        map.type = Type::M;
        if (!punct("}")) {
          do {
            if (peek().kind != Token::Kind::String) {
              std::string what = peek().kind == Token::Kind::Number ? "DECIMAL" : "UNKNOWN";
              throw err::validation("Tuple keys must be of type String. Actual type: " + what +
                                    " under struct");
            }
            std::string key = peek().text;
            ++pos_;
            expect(":");
            Expr e = element();
            if (map.map.count(key))
              throw err::validation("Duplicate keys in tuple. Key: " + key + " under struct");
            if (e.kind == Expr::Kind::Literal) map.map[key] = std::move(e.literal);
          } while (punct(","));
          expect("}");
        }
        return literal(std::move(map));
      }
      if (t.text == "<<") {
        ++pos_;
        return literal(bag());
      }
      throw unexpected();
    }
    if (t.kind == Token::Kind::Ident) {
      if (ieq(t.text, "TRUE") || ieq(t.text, "FALSE")) {
        ++pos_;
        Attr a;
        a.type = Type::BOOL;
        a.b = ieq(t.text, "TRUE");
        return literal(std::move(a));
      }
      if (ieq(t.text, "NULL")) {
        ++pos_;
        Attr a;
        a.type = Type::NUL;
        return literal(std::move(a));
      }
      if (ieq(t.text, "MISSING")) {
        ++pos_;
        Expr e;
        e.kind = Expr::Kind::Missing;
        return e;
      }
      if (peek(1).kind == Token::Kind::Punct && peek(1).text == "(") {
        std::string fn = lower(t.text);
        if (!functions().count(fn)) throw err::validation("Unrecognized function: " + t.text);
        pos_ += 2;
        Expr e;
        e.kind = Expr::Kind::Call;
        e.op = fn;
        if (!punct(")")) {
          do e.args.push_back(expr());
          while (punct(","));
          expect(")");
        }
        return e;
      }
    }
    Expr e;
    e.kind = Expr::Kind::Path;
    e.path = path();
    return e;
  }

  // << v, ... >>: a string set or a number set.
  Attr bag() {
    std::vector<Attr> items;
    if (!punct(">>")) {
      do {
        if (peek().kind == Token::Kind::Punct && peek().text == "?")
          throw err::validation("Unsupported data type in Bag. DynamoDB only supports either "
                                "numbers or strings in bags");
        Expr e = element();
        items.push_back(std::move(e.literal));
      } while (punct(","));
      expect(">>");
    }
    if (items.empty()) throw err::validation("Empty bags are not supported");
    Type first = items[0].type;
    Value list = Value::list();
    for (const Attr& a : items) {
      if ((a.type != Type::S && a.type != Type::N) || a.type != first)
        throw err::validation("Unsupported data type in Bag. DynamoDB only supports either "
                              "numbers or strings in bags");
      list.push_back(a.s);
    }
    return attr_from_value(Value::map().set(first == Type::S ? "SS" : "NS", std::move(list)));
  }
};

// ---- planning --------------------------------------------------------------------------------

// Placeholders of one operation input: each attribute name once (#n0, ...), each value
// (:v0, ...).
class Builder {
 public:
  std::string name(const std::string& n) {
    auto [it, added] = names_.emplace(n, "#n" + std::to_string(names_.size()));
    if (added) names_value_.set(it->second, n);
    return it->second;
  }
  std::string value(const Attr& a) {
    std::string key = ":v" + std::to_string(values_value_.size());
    values_value_.set(key, attr_to_value(a));
    return key;
  }
  std::string path(const Path& p) {
    std::string out;
    for (const PathElem& e : p) {
      if (e.index >= 0) {
        out += "[" + std::to_string(e.index) + "]";
      } else {
        if (!out.empty()) out += '.';
        out += name(e.name);
      }
    }
    return out;
  }
  void into(Value& in) const {
    if (names_value_.size()) in.set("ExpressionAttributeNames", names_value_);
    if (values_value_.size()) in.set("ExpressionAttributeValues", values_value_);
  }

 private:
  std::map<std::string, std::string> names_;
  Value names_value_ = Value::map();
  Value values_value_ = Value::map();
};

ApiError missing_compared() {
  return err::validation("MISSING must be compared using IS operator");
}

std::string operand(const Expr& e, Builder& b) {
  switch (e.kind) {
    case Expr::Kind::Path: return b.path(e.path);
    case Expr::Kind::Literal: return b.value(e.literal);
    case Expr::Kind::Missing: throw missing_compared();
    case Expr::Kind::Call:
      if (e.op == "size" && e.args.size() == 1 && e.args[0].kind == Expr::Kind::Path)
        return "size(" + b.path(e.args[0].path) + ")";
      break;
    case Expr::Kind::Plus:
    case Expr::Kind::Minus:
      throw err::validation(std::string("Unsupported operator in Condition Expression. "
                                        "Operator: ") + (e.kind == Expr::Kind::Plus ? "+" : "-"));
    default: break;
  }
  throw err::validation("WHERE clause must contain an expression that resolves to a boolean");
}

std::string condition(const Expr& e, Builder& b) {
  auto path_arg = [&](const Expr& a) {
    if (a.kind != Expr::Kind::Path)
      throw err::validation("The left hand side argument to IS must be a Variable Reference, "
                            "Literal, or Path");
    return b.path(a.path);
  };
  auto nargs = [&](size_t n) {
    if (e.args.size() != n)
      throw malformed("Function " + e.op + " takes " + std::to_string(n) + " arguments");
  };
  switch (e.kind) {
    case Expr::Kind::And:
    case Expr::Kind::Or:
      return "(" + condition(e.args[0], b) + (e.kind == Expr::Kind::And ? " AND " : " OR ") +
             condition(e.args[1], b) + ")";
    case Expr::Kind::Not: return "(NOT " + condition(e.args[0], b) + ")";
    case Expr::Kind::Compare:
      return "(" + operand(e.args[0], b) + " " + e.op + " " + operand(e.args[1], b) + ")";
    case Expr::Kind::Between: {
      std::string c = "(" + operand(e.args[0], b) + " BETWEEN " + operand(e.args[1], b) +
                      " AND " + operand(e.args[2], b) + ")";
      return e.negated ? "(NOT " + c + ")" : c;
    }
    case Expr::Kind::In: {
      if (e.args[0].kind != Expr::Kind::Path)
        throw err::validation("IN operator must have a left hand argument of type Variable "
                              "Reference and right hand argument of type Seq with at least one "
                              "member");
      std::string c = "(" + operand(e.args[0], b) + " IN (";
      for (size_t i = 1; i < e.args.size(); ++i)
        c += (i > 1 ? ", " : "") + operand(e.args[i], b);
      c += "))";
      return e.negated ? "(NOT " + c + ")" : c;
    }
    case Expr::Kind::Is: {
      std::string p = path_arg(e.args[0]);
      if (e.op == "MISSING")
        return (e.negated ? "attribute_exists(" : "attribute_not_exists(") + p + ")";
      std::string c = "attribute_type(" + p + ", " + b.value(Attr::str(e.op)) + ")";
      return e.negated ? "(NOT " + c + ")" : c;
    }
    case Expr::Kind::Call:
      if (e.op == "begins_with" || e.op == "contains") {
        nargs(2);
        return e.op + "(" + operand(e.args[0], b) + ", " + operand(e.args[1], b) + ")";
      }
      if (e.op == "attribute_type") {
        nargs(2);
        return "attribute_type(" + operand(e.args[0], b) + ", " + operand(e.args[1], b) + ")";
      }
      if (e.op == "attribute_exists" || e.op == "attribute_not_exists") {
        nargs(1);
        return e.op + "(" + operand(e.args[0], b) + ")";
      }
      if (e.op == "size") break;
      throw err::validation("Unsupported operator in Condition Expression. Operator: " + e.op);
    case Expr::Kind::Missing: throw missing_compared();
    default: break;
  }
  throw err::validation("WHERE clause must contain an expression that resolves to a boolean");
}

// A SET value: path, value, path + value, list_append(a, b).
std::string update_value(const Expr& e, Builder& b) {
  switch (e.kind) {
    case Expr::Kind::Path: return b.path(e.path);
    case Expr::Kind::Literal: return b.value(e.literal);
    case Expr::Kind::Plus:
    case Expr::Kind::Minus:
      return update_value(e.args[0], b) + (e.kind == Expr::Kind::Plus ? " + " : " - ") +
             update_value(e.args[1], b);
    case Expr::Kind::Call:
      if (e.op == "list_append") {
        if (e.args.size() != 2) throw malformed("list_append must have exactly two arguments");
        return "list_append(" + update_value(e.args[0], b) + ", " + update_value(e.args[1], b) +
               ")";
      }
      throw err::validation("Unsupported operator in Update Expression. Operator: " + e.op);
    case Expr::Kind::Missing:
      throw err::validation("MISSING is not a value an attribute can be set to");
    default:
      throw err::validation("IS operator is not supported in update expressions");
  }
}

std::string update_expression(const std::vector<Assignment>& updates, Builder& b) {
  std::vector<std::string> set, remove, add, del;
  for (const Assignment& a : updates) {
    std::string target = b.path(a.path);
    if (a.remove) {
      remove.push_back(target);
      continue;
    }
    const Expr& v = a.value;
    if (v.kind == Expr::Kind::Call && (v.op == "set_add" || v.op == "set_delete")) {
      std::string upper = v.op == "set_add" ? "ADD" : "DELETE";
      if (v.args.size() != 2)
        throw err::validation("SET_" + upper + " must have exactly two arguments");
      if (v.args[0].kind != Expr::Kind::Path || path_text(v.args[0].path) != path_text(a.path))
        throw err::validation("The first argument to SET_" + upper +
                              " must equal the assignment value");
      if (v.args[1].kind != Expr::Kind::Literal || !is_set(v.args[1].literal.type))
        throw err::validation("The second argument to SET_" + upper +
                              " must be a value with type SET");
      (v.op == "set_add" ? add : del).push_back(target + " " + b.value(v.args[1].literal));
      continue;
    }
    set.push_back(target + " = " + update_value(v, b));
  }
  std::string out;
  auto clause = [&](const char* word, const std::vector<std::string>& parts) {
    if (parts.empty()) return;
    if (!out.empty()) out += ' ';
    out += word;
    for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : " ") + parts[i];
  };
  clause("SET", set);
  clause("REMOVE", remove);
  clause("ADD", add);
  clause("DELETE", del);
  return out;
}

// The operands of a chain of `kind` (And or Or) in order: a AND (b AND c) -> a, b, c.
void flatten(const Expr& e, std::vector<const Expr*>& out, Expr::Kind kind = Expr::Kind::And) {
  if (e.kind == kind) {
    flatten(e.args[0], out, kind);
    flatten(e.args[1], out, kind);
  } else {
    out.push_back(&e);
  }
}

bool is_name(const Expr& e, const std::string& name) {
  return e.kind == Expr::Kind::Path && e.path.size() == 1 && e.path[0].index < 0 &&
         e.path[0].name == name;
}

// The value of `name = literal` (either way round), else null.
const Attr* equality(const Expr& c, const std::string& name) {
  if (c.kind != Expr::Kind::Compare || c.op != "=") return nullptr;
  if (is_name(c.args[0], name) && c.args[1].kind == Expr::Kind::Literal) return &c.args[1].literal;
  if (is_name(c.args[1], name) && c.args[0].kind == Expr::Kind::Literal) return &c.args[0].literal;
  return nullptr;
}

void check_key_type(const KeyDef& def, const Attr& a) {
  if (a.type != def.type)
    throw err::validation("Key attribute's data type should match its data type in table's "
                          "schema: Key " + def.name);
}

std::string joined(const std::vector<const Expr*>& parts, Builder& b) {
  std::string out;
  for (const Expr* p : parts) out += (out.empty() ? "" : " AND ") + condition(*p, b);
  return out;
}

// Splits a WHERE into the full primary key (by equality) and the rest, as writes need it.
std::vector<const Expr*> split_key(const Statement& s, const KeyDef& hash, const KeyDef& range,
                                   Item& key) {
  std::vector<const Expr*> parts, rest;
  if (s.has_where) flatten(s.where, parts);
  for (const Expr* p : parts) {
    const KeyDef* def = nullptr;
    const Attr* v = nullptr;
    for (const KeyDef* d : {&hash, &range})
      if (!d->name.empty() && (v = equality(*p, d->name))) {
        def = d;
        break;
      }
    if (!def) {
      rest.push_back(p);
      continue;
    }
    if (key.count(def->name))
      throw err::validation("Multiple conditions on same key " + def->name +
                            ". Only single item Update/Insert/Delete are supported");
    check_key_type(*def, *v);
    key[def->name] = *v;
  }
  if (!key.count(hash.name) || (!range.name.empty() && !key.count(range.name)))
    throw err::validation("Where clause does not contain a mandatory equality on all key "
                          "attributes");
  return rest;
}

Value write_input(const Statement& s, const KeyDef& hash, const KeyDef& range) {
  Value in = Value::map();
  in.set("TableName", s.table);
  Builder b;
  if (s.kind == Statement::Kind::Insert) {
    for (const KeyDef* d : {&hash, &range}) {
      if (d->name.empty()) continue;
      auto it = s.item.find(d->name);
      if (it == s.item.end())
        throw err::validation("Key attribute should be present in the item: Key " + d->name);
      check_key_type(*d, it->second);
    }
    in.set("Item", item_to_value(s.item));
    in.set("ConditionExpression", "attribute_not_exists(" + b.name(hash.name) + ")");
    b.into(in);
    return in;
  }
  Item key;
  std::vector<const Expr*> rest = split_key(s, hash, range, key);
  in.set("Key", item_to_value(key));
  std::string cond;
  if (s.kind != Statement::Kind::Delete) cond = "attribute_exists(" + b.name(hash.name) + ")";
  if (!rest.empty()) cond += (cond.empty() ? "" : " AND ") + joined(rest, b);
  if (s.kind == Statement::Kind::Update) {
    in.set("UpdateExpression", update_expression(s.updates, b));
    if (!s.returning.empty()) in.set("ReturnValues", s.returning);
  }
  if (s.kind == Statement::Kind::Delete && !s.returning.empty())
    in.set("ReturnValues", s.returning);
  if (!cond.empty()) in.set("ConditionExpression", cond);
  b.into(in);
  return in;
}

// A sort-key condition Query accepts as part of its key condition.
bool range_condition(const Expr& c, const KeyDef& range) {
  if (range.name.empty()) return false;
  auto literal_of_type = [&](const Expr& e) {
    return e.kind == Expr::Kind::Literal && e.literal.type == range.type;
  };
  if (c.kind == Expr::Kind::Compare && c.op != "<>")
    return (is_name(c.args[0], range.name) && literal_of_type(c.args[1])) ||
           (is_name(c.args[1], range.name) && literal_of_type(c.args[0]));
  if (c.kind == Expr::Kind::Between && !c.negated)
    return is_name(c.args[0], range.name) && literal_of_type(c.args[1]) &&
           literal_of_type(c.args[2]);
  if (c.kind == Expr::Kind::Call && c.op == "begins_with" && c.args.size() == 2)
    return range.type != Type::N && is_name(c.args[0], range.name) && literal_of_type(c.args[1]);
  return false;
}

constexpr size_t kMaxPartitionValues = 50;

// The partition-key values WHERE conjunct c pins, appended to `values`: `pk = v`,
// `pk IN [v, ...]` of literals, or an OR whose every disjunct has such a conjunct (AWS reads
// "pk = 1 OR pk = 2" by key, not by a Scan). False, and `values` unchanged, when c pins none.
bool partition_values(const Expr& c, const std::string& hash, std::vector<Attr>& values) {
  if (const Attr* v = equality(c, hash)) {
    values.push_back(*v);
    return true;
  }
  if (c.kind == Expr::Kind::In && !c.negated && is_name(c.args[0], hash) &&
      std::all_of(c.args.begin() + 1, c.args.end(),
                  [](const Expr& e) { return e.kind == Expr::Kind::Literal; })) {
    // ql-operators: IN takes "at max 50 hash attribute values".
    if (c.args.size() - 1 > kMaxPartitionValues)
      throw err::validation("The IN operator is provided with too many partition key values; "
                            "number of values: " + std::to_string(c.args.size() - 1) +
                            ", at most " + std::to_string(kMaxPartitionValues));
    for (size_t i = 1; i < c.args.size(); ++i) values.push_back(c.args[i].literal);
    return true;
  }
  if (c.kind != Expr::Kind::Or) return false;
  std::vector<const Expr*> disjuncts;
  flatten(c, disjuncts, Expr::Kind::Or);
  std::vector<Attr> found;
  for (const Expr* d : disjuncts) {
    std::vector<const Expr*> conjuncts;
    flatten(*d, conjuncts);
    if (std::none_of(conjuncts.begin(), conjuncts.end(),
                     [&](const Expr* e) { return partition_values(*e, hash, found); }))
      return false;
  }
  // Beyond IN's bound, an OR is read by one Scan rather than by a Query per value (each of
  // which would evaluate the whole OR again).
  if (found.size() > kMaxPartitionValues) return false;
  values.insert(values.end(), found.begin(), found.end());
  return true;
}

void select_plan(const Statement& s, const KeyDef& hash, const KeyDef& range, Plan& out) {
  std::vector<const Expr*> parts;
  if (s.has_where) flatten(s.where, parts);
  // The partition key: `pk = v`, `pk IN [v, ...]`, or an OR of those.
  std::vector<Attr> hash_values;
  const Expr* hash_part = nullptr;
  for (const Expr* p : parts)
    if (partition_values(*p, hash.name, hash_values)) {
      hash_part = p;
      break;
    }
  bool by_equality = hash_part && equality(*hash_part, hash.name);
  for (const Statement::Order& o : s.order_by) {
    if (!s.has_where)
      throw err::validation("Must have WHERE clause in the statement when using ORDER BY clause.");
    if (!hash_part)
      throw err::validation("Must have at least one non-optional hash key condition in WHERE "
                            "clause when using ORDER BY clause.");
    if (o.name != hash.name && o.name != range.name)
      throw err::validation("Variable reference " + o.name +
                            " in ORDER BY clause must be part of the primary key");
  }
  auto base = [&]() {
    Value in = Value::map();
    in.set("TableName", s.table);
    if (!s.index.empty()) in.set("IndexName", s.index);
    return in;
  };
  if (!hash_part) {
    Builder b;
    Value in = base();
    if (s.has_where) in.set("FilterExpression", condition(s.where, b));
    b.into(in);
    out.reads.push_back(std::move(in));
    return;
  }
  for (const Attr& v : hash_values) check_key_type(hash, v);
  std::vector<const Expr*> rest;
  const Expr* range_part = nullptr;
  for (const Expr* p : parts) {
    if (p == hash_part && hash_part->kind != Expr::Kind::Or) continue;
    if (!range_part && range_condition(*p, range)) range_part = p;
    else rest.push_back(p);  // an OR stays: each partition's items must still satisfy it
  }
  out.query = true;
  out.full_key = by_equality &&
                 (range.name.empty() || (range_part && equality(*range_part, range.name)));
  bool descending = false, hash_descending = false;
  for (const Statement::Order& o : s.order_by)
    (o.name == hash.name ? hash_descending : descending) = o.descending;
  // Several partitions are read in key order when ORDER BY names the partition key.
  std::set<std::string> seen;
  std::vector<std::pair<std::string, Attr>> ordered;
  for (const Attr& v : hash_values)
    if (seen.insert(key_bytes(v)).second) ordered.emplace_back(key_bytes(v), v);
  bool order_hash = std::any_of(s.order_by.begin(), s.order_by.end(),
                                [&](const Statement::Order& o) { return o.name == hash.name; });
  if (order_hash) {
    std::sort(ordered.begin(), ordered.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    if (hash_descending) std::reverse(ordered.begin(), ordered.end());
  }
  for (const auto& [bytes, v] : ordered) {
    Builder b;
    Value in = base();
    std::string key = "(" + b.name(hash.name) + " = " + b.value(v) + ")";
    if (range_part) key += " AND " + condition(*range_part, b);
    in.set("KeyConditionExpression", key);
    if (!rest.empty()) in.set("FilterExpression", joined(rest, b));
    if (descending) in.set("ScanIndexForward", false);
    b.into(in);
    out.reads.push_back(std::move(in));
  }
  if (out.full_key && rest.empty()) {
    Value get = Value::map();
    get.set("TableName", s.table);
    Item key;
    key[hash.name] = hash_values[0];
    if (!range.name.empty()) key[range.name] = *equality(*range_part, range.name);
    get.set("Key", item_to_value(key));
    out.get = std::move(get);
  }
}

}  // namespace

Statement parse(std::string_view text, const std::vector<Attr>& params) {
  return Parser(text, params).parse();
}

Plan plan(const Statement& s, const KeyDef& hash, const KeyDef& range) {
  Plan out;
  if (s.kind == Statement::Kind::Select) {
    select_plan(s, hash, range, out);
    return out;
  }
  if (!s.index.empty()) throw err::validation("This operation is not supported on an index");
  out.write = write_input(s, hash, range);
  out.full_key = true;
  return out;
}

std::string result_name(const Path& path) {
  for (auto it = path.rbegin(); it != path.rend(); ++it)
    if (it->index < 0) return it->name;
  return path.front().name;
}

}  // namespace nimbus::ddb::partiql
