// Thin RAII wrapper over SQLite: Connection (one sqlite3*) and Statement (one prepared
// sqlite3_stmt*). Statements are prepared once per connection and cached by their SQL text.
// Errors throw StorageError carrying SQLite's (extended) result code, its message and the SQL
// that failed. Every connection waits up to 5 s on a locked database (busy timeout) before
// reporting SQLITE_BUSY.
//
// Thread-safety: a Connection and its Statements belong to one thread at a time; Database hands
// them out (storage/database.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace nimbus {

struct StorageError : std::runtime_error {
  int sqlite_code;
  StorageError(int code, const std::string& message)
      : std::runtime_error(message), sqlite_code(code) {}
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite. Text and blobs are copied (SQLITE_TRANSIENT); an empty
  // text or blob binds an empty value, never NULL.
  Statement& bind(int index, int64_t value);
  // Any other integer type (int, unsigned, size_t, bool, ...) binds as int64_t.
  template <class T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, int64_t>)
  Statement& bind(int index, T value) {
    return bind(index, static_cast<int64_t>(value));
  }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::string& text) {
    return bind(index, std::string_view(text));
  }
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }
  // Binds each argument in order from parameter 1.
  template <class... Args>
  Statement& bind_all(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  // Advances; true when a row is available. Throws StorageError on failure.
  bool step();
  // Runs to completion (for INSERT/UPDATE/DELETE) and resets (bindings stay); returns
  // sqlite3_changes().
  int run();
  // Clears bindings and resets for reuse. Done automatically by Connection::prepare().
  void reset();

  int64_t column_int(int column) const;  // 0-based columns
  double column_double(int column) const;
  std::string column_text(int column) const;
  std::string column_blob(int column) const;
  bool column_is_null(int column) const;
  std::optional<std::string> column_text_or_null(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class Connection {
 public:
  // Opens (creating if needed) the database at path; SQLite URI filenames are accepted.
  // read_only opens with SQLITE_OPEN_READONLY. Throws StorageError.
  Connection(const std::string& path, bool read_only);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The cached statement for this SQL, reset and with bindings cleared.
  Statement& prepare(std::string_view sql);
  // Runs one or more statements without results.
  void exec(std::string_view sql);
  int64_t last_insert_rowid() const;
  int changes() const;
  sqlite3* handle() const { return db_; }

 private:
  struct SqlHash {  // lets prepare() look up a string_view without building a std::string
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>()(sql); }
  };
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<Statement>, SqlHash, std::equal_to<>> cache_;
};

}  // namespace nimbus
