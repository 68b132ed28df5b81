// The expression language: tokenizer, recursive-descent parsers (condition, projection,
// update), placeholder resolution with AWS's checks, the condition evaluator, the update
// applier and projection. See expression.h.
//
// Grammar (keywords case-insensitive, function names case-sensitive):
//   condition  := or ;  or := and (OR and)* ;  and := not (AND not)* ;  not := NOT not | pred
//   pred       := '(' condition ')' | function '(' args ')' | operand comparator operand
//               | operand BETWEEN operand AND operand | operand IN '(' operand (',' operand)* ')'
//   operand    := path | :value | size '(' path ')'
//   path       := (name | #name) ('.' (name | #name) | '[' digits ']')*
//   update     := (SET set (',' set)* | REMOVE path (',' path)* | ADD path :v (',' ...)*
//                 | DELETE path :v (',' ...)*)+
//   set        := path '=' value ;  value := setop (('+' | '-') setop)?
//   setop      := path | :value | if_not_exists '(' path ',' value ')'
//               | list_append '(' value ',' value ')'
#include "services/dynamodb/expression.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "services/dynamodb/errors.h"
#include "services/dynamodb/number.h"
#include "services/dynamodb/reserved_words.h"

namespace nimbus::ddb {
namespace {

struct Token {
  enum class Kind { Ident, Name, ValueRef, Number, Punct, End };
  Kind kind = Kind::End;
  std::string text;
  size_t start = 0, end = 0;
};

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

ApiError invalid(const std::string& kind, const std::string& message) {
  return ddb_errors::validation("Invalid " + kind + ": " + message);
}

std::string type_word(Type t) {
  switch (t) {
    case Type::S: return "S";
    case Type::N: return "N";
    case Type::B: return "B";
    default: return type_name(t);
  }
}

class Parser {
 public:
  Parser(std::string_view text, ExpressionContext& ctx, std::string kind)
      : text_(text), ctx_(ctx), kind_(std::move(kind)) {
    tokenize();
  }

  Condition condition() {
    Condition c = parse_or();
    expect_end();
    return c;
  }

  std::vector<Path> projection() {
    std::vector<Path> paths;
    do {
      paths.push_back(path());
    } while (accept(","));
    expect_end();
    return paths;
  }

  std::vector<UpdateAction> update() {
    std::vector<UpdateAction> actions;
    std::set<std::string> seen;
    if (peek().kind == Token::Kind::End) syntax_error();
    while (peek().kind != Token::Kind::End) {
      const Token& t = peek();
      if (t.kind != Token::Kind::Ident) syntax_error();
      std::string clause = t.text;
      for (char& c : clause) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (clause != "SET" && clause != "REMOVE" && clause != "ADD" && clause != "DELETE")
        syntax_error();
      if (!seen.insert(clause).second)
        throw invalid(kind_, "The \"" + clause +
                                 "\" section can only be used once in an update expression;");
      next();
      do {
        UpdateAction a;
        a.path = path();
        if (clause == "SET") {
          a.kind = UpdateAction::Kind::Set;
          expect("=");
          a.value = set_value();
        } else if (clause == "REMOVE") {
          a.kind = UpdateAction::Kind::Remove;
        } else {
          a.kind = clause == "ADD" ? UpdateAction::Kind::Add : UpdateAction::Kind::Delete;
          if (peek().kind != Token::Kind::ValueRef) syntax_error();
          a.value.kind = Operand::Kind::Literal;
          a.value.literal = ctx_.value(next().text, kind_);
          Type t = a.value.literal.type;
          if (clause == "ADD" && t != Type::N && !is_set(t))
            throw invalid(kind_, "Incorrect operand type for operator or function; operator: "
                                 "ADD, operand type: " + long_type(t));
          if (clause == "DELETE" && !is_set(t))
            throw invalid(kind_, "Incorrect operand type for operator or function; operator: "
                                 "DELETE, operand type: " + long_type(t));
        }
        actions.push_back(std::move(a));
      } while (accept(","));
    }
    return actions;
  }

 private:
  static std::string long_type(Type t) {
    switch (t) {
      case Type::S: return "STRING";
      case Type::B: return "BINARY";
      case Type::N: return "NUMBER";
      case Type::M: return "MAP";
      case Type::L: return "LIST";
      case Type::BOOL: return "BOOLEAN";
      case Type::NUL: return "NULL";
      default: return type_name(t);
    }
  }

  void tokenize() {
    size_t i = 0;
    while (i < text_.size()) {
      char c = text_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      Token t;
      t.start = i;
      if (c == '#' || c == ':') {
        size_t j = i + 1;
        while (j < text_.size() && ident_char(text_[j])) ++j;
        t.kind = c == '#' ? Token::Kind::Name : Token::Kind::ValueRef;
        if (j == i + 1) t.kind = Token::Kind::Punct;
        i = j;
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        size_t j = i;
        while (j < text_.size() && std::isdigit(static_cast<unsigned char>(text_[j]))) ++j;
        t.kind = Token::Kind::Number;
        i = j;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t j = i;
        while (j < text_.size() && ident_char(text_[j])) ++j;
        t.kind = Token::Kind::Ident;
        i = j;
      } else {
        t.kind = Token::Kind::Punct;
        std::string_view two = text_.substr(i, 2);
        i += (two == "<>" || two == "<=" || two == ">=") ? 2 : 1;
      }
      t.end = i;
      t.text = std::string(text_.substr(t.start, t.end - t.start));
      tokens_.push_back(std::move(t));
    }
    Token end;
    end.start = end.end = text_.size();
    tokens_.push_back(end);
  }

  const Token& peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& next() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool is_punct(const char* p, size_t ahead = 0) const {
    return peek(ahead).kind == Token::Kind::Punct && peek(ahead).text == p;
  }
  bool is_keyword(const char* k) const {
    return peek().kind == Token::Kind::Ident && ieq(peek().text, k);
  }
  bool accept(const char* p) {
    if (!is_punct(p)) return false;
    next();
    return true;
  }
  void expect(const char* p) {
    if (!accept(p)) syntax_error();
  }
  void expect_end() {
    if (peek().kind != Token::Kind::End) syntax_error();
  }

  [[noreturn]] void syntax_error() {
    const Token& t = peek();
    size_t from = pos_ > 0 ? tokens_[pos_ - 1].start : t.start;
    size_t to = pos_ + 1 < tokens_.size() ? tokens_[pos_ + 1].end : t.end;
    std::string token = t.kind == Token::Kind::End ? "<EOF>" : t.text;
    throw invalid(kind_, "Syntax error; token: \"" + token + "\", near: \"" +
                             std::string(text_.substr(from, to - from)) + "\"");
  }

  std::string attribute_name() {
    const Token& t = peek();
    if (t.kind == Token::Kind::Name) return ctx_.name(next().text, kind_);
    if (t.kind == Token::Kind::Ident) {
      if (is_reserved_word(t.text))
        throw invalid(kind_, "Attribute name is a reserved keyword; reserved keyword: " + t.text);
      return next().text;
    }
    syntax_error();
  }

  Path path() {
    Path p;
    p.push_back(PathElem{attribute_name(), -1});
    while (true) {
      if (accept(".")) {
        p.push_back(PathElem{attribute_name(), -1});
      } else if (is_punct("[")) {
        next();
        if (peek().kind != Token::Kind::Number) syntax_error();
        std::string digits = next().text;
        if (digits.size() > 9) syntax_error();
        p.push_back(PathElem{"", std::stoi(digits)});
        expect("]");
      } else {
        return p;
      }
    }
  }

  // ---- conditions ----
  Condition parse_or() {
    Condition left = parse_and();
    while (is_keyword("OR")) {
      next();
      Condition c;
      c.kind = Condition::Kind::Or;
      c.children.push_back(std::move(left));
      c.children.push_back(parse_and());
      left = std::move(c);
    }
    return left;
  }
  Condition parse_and() {
    Condition left = parse_not();
    while (is_keyword("AND")) {
      next();
      Condition c;
      c.kind = Condition::Kind::And;
      c.children.push_back(std::move(left));
      c.children.push_back(parse_not());
      left = std::move(c);
    }
    return left;
  }
  Condition parse_not() {
    if (is_keyword("NOT")) {
      next();
      Condition c;
      c.kind = Condition::Kind::Not;
      c.children.push_back(parse_not());
      return c;
    }
    return predicate();
  }

  bool at_function() const { return peek().kind == Token::Kind::Ident && is_punct("(", 1); }

  Condition predicate() {
    if (accept("(")) {
      Condition c = parse_or();
      expect(")");
      return c;
    }
    if (at_function() && peek().text != "size") {
      std::string fn = next().text;
      next();  // (
      Condition c;
      if (fn == "attribute_exists" || fn == "attribute_not_exists") {
        c.kind = fn == "attribute_exists" ? Condition::Kind::Exists : Condition::Kind::NotExists;
        c.operands.push_back(path_operand());
      } else if (fn == "attribute_type") {
        c.kind = Condition::Kind::TypeIs;
        c.operands.push_back(path_operand());
        expect(",");
        c.operands.push_back(operand());
        const Operand& t = c.operands.back();
        Type ignored;
        if (t.kind != Operand::Kind::Literal || t.literal.type != Type::S)
          throw invalid(kind_, "Incorrect operand type for operator or function; operator or "
                               "function: attribute_type, operand type: " +
                                   type_word(t.literal.type));
        if (!parse_type_name(t.literal.s, &ignored))
          throw invalid(kind_, "Invalid attribute type name found; type: " + t.literal.s +
                                   ", valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
      } else if (fn == "begins_with" || fn == "contains") {
        c.kind = fn == "begins_with" ? Condition::Kind::BeginsWith : Condition::Kind::Contains;
        c.operands.push_back(operand());
        expect(",");
        c.operands.push_back(operand());
        if (fn == "begins_with")
          for (const Operand& o : c.operands)
            if (o.kind == Operand::Kind::Literal && o.literal.type != Type::S &&
                o.literal.type != Type::B)
              throw invalid(kind_, "Incorrect operand type for operator or function; operator "
                                   "or function: begins_with, operand type: " +
                                       type_word(o.literal.type));
      } else {
        throw invalid(kind_, "Invalid function name; function: " + fn);
      }
      expect(")");
      return c;
    }
    Operand left = operand();
    Condition c;
    const Token& t = peek();
    if (t.kind == Token::Kind::Punct &&
        (t.text == "=" || t.text == "<>" || t.text == "<" || t.text == "<=" || t.text == ">" ||
         t.text == ">=")) {
      c.kind = Condition::Kind::Compare;
      c.op = next().text;
      c.operands.push_back(std::move(left));
      c.operands.push_back(operand());
      return c;
    }
    if (is_keyword("BETWEEN")) {
      next();
      c.kind = Condition::Kind::Between;
      c.operands.push_back(std::move(left));
      c.operands.push_back(operand());
      if (!is_keyword("AND")) syntax_error();
      next();
      c.operands.push_back(operand());
      const Operand& lo = c.operands[1];
      const Operand& hi = c.operands[2];
      if (lo.kind == Operand::Kind::Literal && hi.kind == Operand::Kind::Literal &&
          lo.literal.type == hi.literal.type && is_scalar_key_type(lo.literal.type) &&
          compare_scalar(lo.literal, hi.literal) > 0)
        throw invalid(kind_, "The BETWEEN operator requires upper bound to be greater than or "
                             "equal to lower bound; lower bound operand: AttributeValue: " +
                                 describe(lo.literal) + ", upper bound operand: AttributeValue: " +
                                 describe(hi.literal));
      return c;
    }
    if (is_keyword("IN")) {
      next();
      c.kind = Condition::Kind::In;
      c.operands.push_back(std::move(left));
      expect("(");
      do {
        c.operands.push_back(operand());
      } while (accept(","));
      expect(")");
      if (c.operands.size() > 101)
        throw invalid(kind_, "The IN operator is provided with too many operands; number of "
                             "operands: " + std::to_string(c.operands.size() - 1));
      return c;
    }
    syntax_error();
  }

  Operand path_operand() {
    Operand o;
    o.kind = Operand::Kind::PathRef;
    o.path = path();
    return o;
  }

  Operand operand() {
    const Token& t = peek();
    if (t.kind == Token::Kind::ValueRef) {
      Operand o;
      o.kind = Operand::Kind::Literal;
      o.literal = ctx_.value(next().text, kind_);
      return o;
    }
    if (at_function()) {
      std::string fn = next().text;
      if (fn != "size") {
        if (fn == "attribute_exists" || fn == "attribute_not_exists" || fn == "attribute_type" ||
            fn == "begins_with" || fn == "contains" || fn == "if_not_exists" ||
            fn == "list_append")
          throw invalid(kind_, "The function is not allowed to be used this way in an "
                               "expression; function: " + fn);
        throw invalid(kind_, "Invalid function name; function: " + fn);
      }
      next();  // (
      Operand o;
      o.kind = Operand::Kind::Size;
      o.args.push_back(path_operand());
      expect(")");
      return o;
    }
    if (t.kind == Token::Kind::Ident || t.kind == Token::Kind::Name) return path_operand();
    syntax_error();
  }

  // ---- update values ----
  Operand set_value() {
    Operand left = set_operand();
    if (is_punct("+") || is_punct("-")) {
      Operand o;
      o.kind = next().text == "+" ? Operand::Kind::Plus : Operand::Kind::Minus;
      o.args.push_back(std::move(left));
      o.args.push_back(set_operand());
      return o;
    }
    return left;
  }

  Operand set_operand() {
    const Token& t = peek();
    if (t.kind == Token::Kind::ValueRef) {
      Operand o;
      o.kind = Operand::Kind::Literal;
      o.literal = ctx_.value(next().text, kind_);
      return o;
    }
    if (at_function()) {
      std::string fn = next().text;
      next();  // (
      Operand o;
      if (fn == "if_not_exists") {
        o.kind = Operand::Kind::IfNotExists;
        o.args.push_back(path_operand());
        expect(",");
        o.args.push_back(set_value());
      } else if (fn == "list_append") {
        o.kind = Operand::Kind::ListAppend;
        o.args.push_back(set_value());
        expect(",");
        o.args.push_back(set_value());
        for (const Operand& a : o.args)
          if (a.kind == Operand::Kind::Literal && a.literal.type != Type::L)
            throw invalid(kind_, "Incorrect operand type for operator or function; operator or "
                                 "function: list_append, operand type: " +
                                     type_word(a.literal.type));
      } else if (fn == "attribute_exists" || fn == "attribute_not_exists" ||
                 fn == "attribute_type" || fn == "begins_with" || fn == "contains" ||
                 fn == "size") {
        throw invalid(kind_, "The function is not allowed in an update expression; function: " +
                                 fn);
      } else {
        throw invalid(kind_, "Invalid function name; function: " + fn);
      }
      expect(")");
      return o;
    }
    if (t.kind == Token::Kind::Ident || t.kind == Token::Kind::Name) return path_operand();
    syntax_error();
  }

  std::string_view text_;
  ExpressionContext& ctx_;
  std::string kind_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

// Overlap: one path is a prefix of the other. Conflict: they diverge at an element where one
// indexes a list and the other names a map key.
void check_paths(const std::vector<Path>& paths, const std::string& kind) {
  for (size_t i = 0; i < paths.size(); ++i)
    for (size_t j = i + 1; j < paths.size(); ++j) {
      const Path& a = paths[i];
      const Path& b = paths[j];
      size_t n = std::min(a.size(), b.size());
      size_t k = 0;
      bool conflict = false;
      for (; k < n; ++k) {
        bool ai = a[k].index >= 0, bi = b[k].index >= 0;
        if (ai != bi) {
          conflict = true;
          break;
        }
        if (ai ? a[k].index != b[k].index : a[k].name != b[k].name) break;
      }
      std::string tail = "; must remove or rewrite one of these paths; path one: [" +
                         path_text(a) + "], path two: [" + path_text(b) + "]";
      if (conflict) throw invalid(kind, "Two document paths conflict with each other" + tail);
      if (k == n) throw invalid(kind, "Two document paths overlap with each other" + tail);
    }
}

std::optional<Attr> eval(const Operand& o, const Item& item) {
  switch (o.kind) {
    case Operand::Kind::Literal: return o.literal;
    case Operand::Kind::PathRef: {
      const Attr* a = resolve(item, o.path);
      if (!a) return std::nullopt;
      return *a;
    }
    case Operand::Kind::Size: {
      const Attr* a = resolve(item, o.args[0].path);
      if (!a) return std::nullopt;
      size_t n;
      switch (a->type) {
        case Type::S: case Type::B: n = a->s.size(); break;
        case Type::SS: case Type::NS: case Type::BS: n = a->set.size(); break;
        case Type::L: n = a->list.size(); break;
        case Type::M: n = a->map.size(); break;
        default: return std::nullopt;
      }
      return Attr::num(std::to_string(n));
    }
    default: return std::nullopt;
  }
}

bool ordered(const std::optional<Attr>& a, const std::optional<Attr>& b) {
  return a && b && a->type == b->type && is_scalar_key_type(a->type);
}

Attr* resolve_mut(Item& item, const Path& path) {
  auto it = item.find(path[0].name);
  if (path[0].index >= 0 || it == item.end()) return nullptr;
  Attr* cur = &it->second;
  for (size_t i = 1; i < path.size(); ++i) {
    const PathElem& e = path[i];
    if (e.index >= 0) {
      if (cur->type != Type::L || static_cast<size_t>(e.index) >= cur->list.size()) return nullptr;
      cur = &cur->list[static_cast<size_t>(e.index)];
    } else {
      if (cur->type != Type::M) return nullptr;
      auto m = cur->map.find(e.name);
      if (m == cur->map.end()) return nullptr;
      cur = &m->second;
    }
  }
  return cur;
}

ApiError bad_path() {
  return ddb_errors::validation(
      "The document path provided in the update expression is invalid for update");
}

ApiError bad_operand() {
  return ddb_errors::validation("An operand in the update expression has an incorrect data type");
}

Attr update_value(const Operand& o, const Item& item) {
  switch (o.kind) {
    case Operand::Kind::Literal: return o.literal;
    case Operand::Kind::PathRef: {
      const Attr* a = resolve(item, o.path);
      if (!a)
        throw ddb_errors::validation(
            "The provided expression refers to an attribute that does not exist in the item");
      return *a;
    }
    case Operand::Kind::IfNotExists: {
      const Attr* a = resolve(item, o.args[0].path);
      return a ? *a : update_value(o.args[1], item);
    }
    case Operand::Kind::ListAppend: {
      Attr x = update_value(o.args[0], item);
      Attr y = update_value(o.args[1], item);
      if (x.type != Type::L || y.type != Type::L)
        throw ddb_errors::validation(
            std::string("Invalid UpdateExpression: Incorrect operand type for operator or "
                        "function; operator or function: list_append, operand type: ") +
            type_word(x.type != Type::L ? x.type : y.type));
      for (Attr& e : y.list) x.list.push_back(std::move(e));
      return x;
    }
    case Operand::Kind::Plus:
    case Operand::Kind::Minus: {
      Attr x = update_value(o.args[0], item);
      Attr y = update_value(o.args[1], item);
      if (x.type != Type::N || y.type != Type::N) throw bad_operand();
      auto a = Decimal::parse(x.s), b = Decimal::parse(y.s);
      std::string error;
      auto r = add(*a, o.kind == Operand::Kind::Plus ? *b : b->negated(), &error);
      if (!r) throw ddb_errors::validation(error);
      return Attr::num(r->str());
    }
    default: throw bad_operand();
  }
}

void assign(Item& item, const Path& path, Attr value) {
  if (path.size() == 1) {
    item[path[0].name] = std::move(value);
    return;
  }
  Path parent(path.begin(), path.end() - 1);
  Attr* p = resolve_mut(item, parent);
  if (!p) throw bad_path();
  const PathElem& last = path.back();
  if (last.index >= 0) {
    if (p->type != Type::L) throw bad_path();
    if (static_cast<size_t>(last.index) < p->list.size())
      p->list[static_cast<size_t>(last.index)] = std::move(value);
    else
      p->list.push_back(std::move(value));
  } else {
    if (p->type != Type::M) throw bad_path();
    p->map[last.name] = std::move(value);
  }
}

void remove_path(Item& item, const Path& path) {
  if (path.size() == 1) {
    item.erase(path[0].name);
    return;
  }
  Path parent(path.begin(), path.end() - 1);
  Attr* p = resolve_mut(item, parent);
  if (!p) return;
  const PathElem& last = path.back();
  if (last.index >= 0) {
    if (p->type == Type::L && static_cast<size_t>(last.index) < p->list.size())
      p->list.erase(p->list.begin() + last.index);
  } else if (p->type == Type::M) {
    p->map.erase(last.name);
  }
}

// Projection tree: keeps the requested parts of an item with their structure.
struct ProjNode {
  const Attr* whole = nullptr;
  std::map<std::string, ProjNode> fields;
  std::map<int, ProjNode> elements;
  bool is_list = false;

  Attr build() const {
    if (whole) return *whole;
    Attr a;
    if (is_list) {
      a.type = Type::L;
      for (const auto& [i, n] : elements) a.list.push_back(n.build());
    } else {
      a.type = Type::M;
      for (const auto& [k, n] : fields) a.map.emplace(k, n.build());
    }
    return a;
  }
};

}  // namespace

std::string path_text(const Path& p) {
  std::string out;
  for (const PathElem& e : p) {
    if (!out.empty()) out += ", ";
    out += e.index >= 0 ? "[" + std::to_string(e.index) + "]" : e.name;
  }
  return out;
}

ExpressionContext::ExpressionContext(const Value* names, const Value* values) : names_(names) {
  if (values && values->is_map()) {
    if (values->as_map().empty())
      throw ddb_errors::validation("ExpressionAttributeValues must not be empty");
    for (const auto& [k, v] : values->as_map()) {
      if (k.size() < 2 || k[0] != ':' ||
          !std::all_of(k.begin() + 1, k.end(), ident_char))
        throw ddb_errors::validation(
            "ExpressionAttributeValues contains invalid key: Syntax error; key: \"" + k + "\"");
      values_.emplace_back(k, attr_from_value(v));
    }
  }
  if (names && names->is_map()) {
    if (names->as_map().empty())
      throw ddb_errors::validation("ExpressionAttributeNames must not be empty");
    for (const auto& [k, v] : names->as_map())
      if (k.size() < 2 || k[0] != '#' || !std::all_of(k.begin() + 1, k.end(), ident_char))
        throw ddb_errors::validation(
            "ExpressionAttributeNames contains invalid key: Syntax error; key: \"" + k + "\"");
  }
}

std::string ExpressionContext::name(const std::string& placeholder, const std::string& kind) {
  const Value* v = names_ ? names_->find(placeholder) : nullptr;
  if (!v || !v->is_string())
    throw invalid(kind, "An expression attribute name used in the document path is not "
                        "defined; attribute name: " + placeholder);
  used_names_.insert(placeholder);
  return v->as_string();
}

const Attr& ExpressionContext::value(const std::string& placeholder, const std::string& kind) {
  for (const auto& [k, v] : values_)
    if (k == placeholder) {
      used_values_.insert(placeholder);
      return v;
    }
  throw invalid(kind, "An expression attribute value used in expression is not defined; "
                      "attribute value: " + placeholder);
}

void ExpressionContext::check_unused() const {
  std::string unused;
  if (names_ && names_->is_map())
    for (const auto& [k, v] : names_->as_map())
      if (!used_names_.count(k)) unused += (unused.empty() ? "" : ", ") + k;
  if (!unused.empty())
    throw ddb_errors::validation(
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {" + unused + "}");
  for (const auto& [k, v] : values_)
    if (!used_values_.count(k)) unused += (unused.empty() ? "" : ", ") + k;
  if (!unused.empty())
    throw ddb_errors::validation(
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {" + unused +
        "}");
}

Condition parse_condition(std::string_view text, ExpressionContext& ctx, const std::string& kind) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    throw invalid(kind, "The expression can not be empty;");
  return Parser(text, ctx, kind).condition();
}

std::vector<Path> parse_projection(std::string_view text, ExpressionContext& ctx) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    throw invalid("ProjectionExpression", "The expression can not be empty;");
  std::vector<Path> paths = Parser(text, ctx, "ProjectionExpression").projection();
  check_paths(paths, "ProjectionExpression");
  return paths;
}

std::vector<UpdateAction> parse_update(std::string_view text, ExpressionContext& ctx) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    throw invalid("UpdateExpression", "The expression can not be empty;");
  std::vector<UpdateAction> actions = Parser(text, ctx, "UpdateExpression").update();
  std::vector<Path> paths;
  for (const UpdateAction& a : actions) paths.push_back(a.path);
  check_paths(paths, "UpdateExpression");
  return actions;
}

const Attr* resolve(const Item& item, const Path& path) {
  return resolve_mut(const_cast<Item&>(item), path);
}

bool evaluate(const Condition& c, const Item& item) {
  switch (c.kind) {
    case Condition::Kind::And: return evaluate(c.children[0], item) && evaluate(c.children[1], item);
    case Condition::Kind::Or: return evaluate(c.children[0], item) || evaluate(c.children[1], item);
    case Condition::Kind::Not: return !evaluate(c.children[0], item);
    case Condition::Kind::Exists: return resolve(item, c.operands[0].path) != nullptr;
    case Condition::Kind::NotExists: return resolve(item, c.operands[0].path) == nullptr;
    case Condition::Kind::TypeIs: {
      const Attr* a = resolve(item, c.operands[0].path);
      Type t;
      return a && parse_type_name(c.operands[1].literal.s, &t) && a->type == t;
    }
    case Condition::Kind::Compare: {
      auto a = eval(c.operands[0], item), b = eval(c.operands[1], item);
      if (c.op == "=") return a && b && equal(*a, *b);
      if (c.op == "<>") return !(a && b && equal(*a, *b));
      if (!ordered(a, b)) return false;
      int r = compare_scalar(*a, *b);
      if (c.op == "<") return r < 0;
      if (c.op == "<=") return r <= 0;
      if (c.op == ">") return r > 0;
      return r >= 0;
    }
    case Condition::Kind::Between: {
      auto x = eval(c.operands[0], item), lo = eval(c.operands[1], item),
           hi = eval(c.operands[2], item);
      return ordered(x, lo) && ordered(x, hi) && compare_scalar(*lo, *x) <= 0 &&
             compare_scalar(*x, *hi) <= 0;
    }
    case Condition::Kind::In: {
      auto x = eval(c.operands[0], item);
      if (!x) return false;
      for (size_t i = 1; i < c.operands.size(); ++i) {
        auto y = eval(c.operands[i], item);
        if (y && equal(*x, *y)) return true;
      }
      return false;
    }
    case Condition::Kind::BeginsWith: {
      auto x = eval(c.operands[0], item), p = eval(c.operands[1], item);
      if (!x || !p || x->type != p->type || (x->type != Type::S && x->type != Type::B))
        return false;
      return x->s.compare(0, p->s.size(), p->s) == 0 && x->s.size() >= p->s.size();
    }
    case Condition::Kind::Contains: {
      auto x = eval(c.operands[0], item), v = eval(c.operands[1], item);
      if (!x || !v) return false;
      if (x->type == Type::S && v->type == Type::S) return x->s.find(v->s) != std::string::npos;
      if (x->type == Type::B && v->type == Type::B) return x->s.find(v->s) != std::string::npos;
      if ((x->type == Type::SS && v->type == Type::S) ||
          (x->type == Type::NS && v->type == Type::N) ||
          (x->type == Type::BS && v->type == Type::B))
        return std::find(x->set.begin(), x->set.end(), v->s) != x->set.end();
      if (x->type == Type::L)
        for (const Attr& e : x->list)
          if (equal(e, *v)) return true;
      return false;
    }
  }
  return false;
}

void apply_update(Item& item, const std::vector<UpdateAction>& actions) {
  const Item original = item;
  std::vector<std::pair<const UpdateAction*, Attr>> sets;
  for (const UpdateAction& a : actions)
    if (a.kind == UpdateAction::Kind::Set) sets.emplace_back(&a, update_value(a.value, original));
  // Check every SET target's parent before changing anything.
  for (auto& [a, v] : sets) assign(item, a->path, std::move(v));
  // REMOVE of list elements uses the original indexes: remove the highest first.
  std::vector<const UpdateAction*> removes;
  for (const UpdateAction& a : actions)
    if (a.kind == UpdateAction::Kind::Remove) removes.push_back(&a);
  std::stable_sort(removes.begin(), removes.end(), [](const UpdateAction* x, const UpdateAction* y) {
    return x->path.back().index > y->path.back().index;
  });
  for (const UpdateAction* a : removes) remove_path(item, a->path);
  for (const UpdateAction& a : actions) {
    if (a.kind != UpdateAction::Kind::Add && a.kind != UpdateAction::Kind::Delete) continue;
    const Attr& v = a.value.literal;
    Attr* cur = resolve_mut(item, a.path);
    if (a.kind == UpdateAction::Kind::Add) {
      if (!cur) {
        assign(item, a.path, v);
      } else if (v.type == Type::N) {
        if (cur->type != Type::N) throw bad_operand();
        std::string error;
        auto r = add(*Decimal::parse(cur->s), *Decimal::parse(v.s), &error);
        if (!r) throw ddb_errors::validation(error);
        cur->s = r->str();
      } else {
        if (cur->type != v.type) throw bad_operand();
        for (const std::string& e : v.set)
          if (std::find(cur->set.begin(), cur->set.end(), e) == cur->set.end())
            cur->set.push_back(e);
      }
    } else {
      if (!cur) continue;
      if (cur->type != v.type) throw bad_operand();
      std::vector<std::string> kept;
      for (const std::string& e : cur->set)
        if (std::find(v.set.begin(), v.set.end(), e) == v.set.end()) kept.push_back(e);
      if (kept.empty())
        remove_path(item, a.path);
      else
        cur->set = std::move(kept);
    }
  }
}

Item project(const Item& item, const std::vector<Path>& paths) {
  std::map<std::string, ProjNode> roots;
  for (const Path& path : paths) {
    const Attr* target = resolve(item, path);
    if (!target) continue;
    ProjNode* node = &roots[path[0].name];
    for (size_t i = 1; i < path.size(); ++i) {
      if (path[i].index >= 0) {
        node->is_list = true;
        node = &node->elements[path[i].index];
      } else {
        node = &node->fields[path[i].name];
      }
    }
    node->whole = target;
  }
  Item out;
  for (const auto& [k, n] : roots) out.emplace(k, n.build());
  return out;
}

}  // namespace nimbus::ddb
