// The RAII wrapper over SQLite declared in storage/sqlite.h: Statement (bind, step, run, typed
// column access) and Connection (open with a busy timeout and extended result codes, a per-SQL
// statement cache behind prepare(), exec for scripts). Every failure becomes a StorageError
// that names SQLite's message and the SQL that failed.
#include "storage/sqlite.h"

#include <sqlite3.h>

#include "storage/in_process_vfs.h"

namespace nimbus {

namespace {

constexpr int kBusyTimeoutMs = 5000;

[[noreturn]] void fail(sqlite3* db, int code, std::string_view what, std::string_view sql) {
  std::string message(what);
  message += ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  if (!sql.empty()) {
    message += " (SQL: ";
    message += sql;
    message += ")";
  }
  throw StorageError(db ? sqlite3_extended_errcode(db) : code, message);
}

}  // namespace

// ---- Statement -------------------------------------------------------------------------------

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt_, &tail);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    fail(db_, rc, "prepare failed", sql);
  }
  if (stmt_ == nullptr) {
    throw StorageError(SQLITE_MISUSE,
                       "prepare failed: empty statement (SQL: " + std::string(sql) + ")");
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

namespace {
void check_bind(sqlite3* db, sqlite3_stmt* stmt, int rc, int index) {
  if (rc != SQLITE_OK) {
    fail(db, rc, "bind of parameter " + std::to_string(index) + " failed", sqlite3_sql(stmt));
  }
}
}  // namespace

Statement& Statement::bind(int index, int64_t value) {
  check_bind(db_, stmt_, sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  check_bind(db_, stmt_, sqlite3_bind_double(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  // A null data pointer would bind NULL; an empty text must stay an empty text.
  const char* data = text.data() ? text.data() : "";
  check_bind(db_, stmt_,
             sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
             index);
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  int rc = bytes.empty()
               ? sqlite3_bind_zeroblob(stmt_, index, 0)
               : sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  check_bind(db_, stmt_, rc, index);
  return *this;
}

Statement& Statement::bind_null(int index) {
  check_bind(db_, stmt_, sqlite3_bind_null(stmt_, index), index);
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // Take the message before the reset; the statement is then ready for another try.
  std::string message =
      std::string("step failed: ") + sqlite3_errmsg(db_) + " (SQL: " + sqlite3_sql(stmt_) + ")";
  int code = sqlite3_extended_errcode(db_);
  sqlite3_reset(stmt_);
  throw StorageError(code, message);
}

int Statement::run() {
  while (step()) {
  }
  int changes = sqlite3_changes(db_);
  sqlite3_reset(stmt_);
  return changes;
}

void Statement::reset() {
  sqlite3_reset(stmt_);  // returns the last step's error, which step() already reported
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::column_int(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::column_double(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::column_text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);  // after the conversion, as SQLite asks
  return text ? std::string(reinterpret_cast<const char*>(text), size) : std::string();
}

std::string Statement::column_blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  return data ? std::string(static_cast<const char*>(data), size) : std::string();
}

bool Statement::column_is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::optional<std::string> Statement::column_text_or_null(int column) const {
  if (column_is_null(column)) return std::nullopt;
  return column_text(column);
}

// ---- Connection ------------------------------------------------------------------------------

Connection::Connection(const std::string& path, bool read_only) {
  int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
              SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, in_process_vfs());
  if (rc != SQLITE_OK) {
    std::string message =
        "cannot open database " + path + ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    int code = db_ ? sqlite3_extended_errcode(db_) : rc;
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw StorageError(code, message);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
}

Connection::~Connection() {
  cache_.clear();  // finalize every statement before the close
  sqlite3_close_v2(db_);
}

Statement& Connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto statement = std::make_unique<Statement>(db_, sql);
    it = cache_.emplace(std::string(sql), std::move(statement)).first;
  } else {
    it->second->reset();
  }
  return *it->second;
}

void Connection::exec(std::string_view sql) {
  std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
  char* error = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = std::string("exec failed: ") + (error ? error : sqlite3_errstr(rc)) +
                          " (SQL: " + text + ")";
    sqlite3_free(error);
    throw StorageError(sqlite3_extended_errcode(db_), message);
  }
}

int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int Connection::changes() const { return sqlite3_changes(db_); }

}  // namespace nimbus
