// Database (storage/database.h): opens the SQLite store (a WAL file; for --ephemeral one in a
// private temporary directory, in /dev/shm when present, removed on close), runs the one
// writer thread that group-commits queued write jobs (one BEGIN IMMEDIATE ... COMMIT per batch,
// one SAVEPOINT per job so a failing job rolls back alone), lends reader connections to read(),
// and applies per-component schema migrations recorded in nimbus_schema.
#include "storage/database.h"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string_view>

#include "common/log.h"
#include "common/threads.h"

namespace nimbus {

namespace {

constexpr size_t kMaxBatch = 256;  // bounds the latency a job can add to the others of its batch

constexpr std::string_view kEphemeralPrefix = "nimbus-ephemeral-db-";

// Removes the ephemeral directories (ours: named after their process) of processes that are
// gone, e.g. killed with SIGKILL before they could clean up.
void sweep_dead_ephemeral_dirs(const std::filesystem::path& base) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(kEphemeralPrefix, 0) != 0) continue;
    char* end = nullptr;
    long pid = std::strtol(name.c_str() + kEphemeralPrefix.size(), &end, 10);
    if (pid <= 0 || *end != '-') continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours
    std::error_code ignored;
    std::filesystem::remove_all(entry.path(), ignored);
  }
}

// A fresh directory only this process uses, in memory (/dev/shm) when the machine has one:
// <base>/nimbus-ephemeral-db-<pid>-XXXXXX, mode 0700.
std::string make_private_temp_dir() {
  std::error_code ec;
  std::filesystem::path base = "/dev/shm";
  if (!std::filesystem::is_directory(base, ec) || ::access(base.c_str(), W_OK | X_OK) != 0)
    base = std::filesystem::temp_directory_path(ec);
  if (ec) base = "/tmp";
  sweep_dead_ephemeral_dirs(base);
  std::string pattern =
      (base / (std::string(kEphemeralPrefix) + std::to_string(::getpid()) + "-XXXXXX")).string();
  if (!::mkdtemp(pattern.data()))
    throw StorageError(SQLITE_CANTOPEN, "cannot create a temporary directory under " +
                                            base.string() + ": " + std::strerror(errno));
  return pattern;
}

const char* synchronous_pragma(Durability durability) {
  switch (durability) {
    case Durability::Off:
      return "PRAGMA synchronous=OFF";
    case Durability::Normal:
      return "PRAGMA synchronous=NORMAL";
    case Durability::Full:
      return "PRAGMA synchronous=FULL";
  }
  return "PRAGMA synchronous=NORMAL";
}

bool in_transaction(Connection& c) { return sqlite3_get_autocommit(c.handle()) == 0; }

// Resets every statement of the connection a job or a read left unfinished, so that it holds no
// read transaction (a stale WAL snapshot) or lock past the job.
void reset_statements(Connection& c) {
  for (sqlite3_stmt* s = sqlite3_next_stmt(c.handle(), nullptr); s != nullptr;
       s = sqlite3_next_stmt(c.handle(), s)) {
    if (sqlite3_stmt_busy(s)) sqlite3_reset(s);
  }
}

// Ends whatever transaction is open; used on paths that already report an error.
void rollback_quietly(Connection& c) {
  reset_statements(c);
  if (!in_transaction(c)) return;
  try {
    c.exec("ROLLBACK");
  } catch (...) {
  }
}

std::string quote_identifier(const std::string& name) {
  std::string quoted = "\"";
  for (char ch : name) {
    if (ch == '"') quoted += '"';
    quoted += ch;
  }
  return quoted + "\"";
}

// Takes the exclusive flock() that makes `path`'s process its only user; returns the lock file's
// descriptor (closing it releases the lock; so does the process's death).
int lock_database_for_this_process(const std::string& path) {
  std::string lock_path = path + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw StorageError(SQLITE_CANTOPEN, "cannot open " + lock_path + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int error = errno;
    char owner[32] = {};
    ssize_t n = ::pread(fd, owner, sizeof owner - 1, 0);
    std::string pid = n > 0 ? std::string(owner, static_cast<size_t>(n)) : std::string();
    ::close(fd);
    if (error == EWOULDBLOCK) {
      throw StorageError(SQLITE_BUSY, "the database " + path + " is in use by another process" +
                                          (pid.empty() ? std::string() : " (pid " + pid + ")") +
                                          "; one data directory serves one nimbus at a time");
    }
    throw StorageError(SQLITE_CANTOPEN, "cannot lock " + lock_path + ": " + std::strerror(error));
  }
  std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) == 0) {
    ssize_t ignored = ::pwrite(fd, pid.data(), pid.size(), 0);  // only for the message above
    (void)ignored;
  }
  return fd;
}

}  // namespace

struct Database::Job {
  Job(const std::function<void(Connection&)>* f, bool s) : fn(f), solo(s) {}
  const std::function<void(Connection&)>* fn;
  bool solo;
  std::exception_ptr error;
  bool done = false;  // guarded by queue_mutex_
  std::condition_variable cv;
  // write_async(): the job owns its function (fn points at it), lives on the heap, and is
  // finished by calling `then` instead of waking a waiting caller.
  std::function<void(Connection&)> owned_fn;
  std::function<void(std::exception_ptr)> then;
};

Database::Database(const DatabaseOptions& options) : options_(options) {
  if (options_.ephemeral) {
    ephemeral_dir_ = make_private_temp_dir();
    uri_ = (std::filesystem::path(ephemeral_dir_) / "nimbus.db").string();
  } else {
    if (options_.path.empty()) {
      throw StorageError(SQLITE_MISUSE, "database path is empty (and not ephemeral)");
    }
    uri_ = options_.path;
    owner_lock_fd_ = lock_database_for_this_process(uri_);
  }
  try {
    writer_ = std::make_unique<Connection>(uri_, false);
    Statement& wal = writer_->prepare("PRAGMA journal_mode=WAL");
    std::string mode = wal.step() ? wal.column_text(0) : "";
    wal.reset();
    if (mode != "wal") {
      throw StorageError(SQLITE_ERROR,
                         "cannot switch " + uri_ + " to WAL mode (got '" + mode + "')");
    }
    // Ephemeral state dies with the process anyway, so it never waits for the disk.
    writer_->exec(options_.ephemeral ? "PRAGMA synchronous=OFF"
                                     : synchronous_pragma(options_.durability));
    writer_->exec("PRAGMA foreign_keys=ON; PRAGMA cache_size=-8192; PRAGMA temp_store=MEMORY;");
    int count = options_.reader_count < 1 ? 1 : options_.reader_count;
    for (int i = 0; i < count; ++i) {
      auto reader = std::make_unique<Connection>(uri_, true);
      reader->exec("PRAGMA cache_size=-2048; PRAGMA temp_store=MEMORY;");
      idle_readers_.push_back(reader.get());
      readers_.push_back(std::move(reader));
    }
  } catch (...) {
    idle_readers_.clear();
    readers_.clear();
    writer_.reset();
    remove_ephemeral_dir();
    if (owner_lock_fd_ >= 0) ::close(owner_lock_fd_);
    throw;
  }
  writer_thread_ = std::thread([this] { writer_loop(); });
}

Database::~Database() {
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();  // the loop drains the queue first
  idle_readers_.clear();
  readers_.clear();
  if (!options_.ephemeral && writer_) {
    try {
      writer_->exec("PRAGMA wal_checkpoint(TRUNCATE)");  // leave a compact file behind
    } catch (...) {
    }
  }
  writer_.reset();
  remove_ephemeral_dir();
  if (owner_lock_fd_ >= 0) ::close(owner_lock_fd_);
}

void Database::remove_ephemeral_dir() {
  if (ephemeral_dir_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(ephemeral_dir_, ignored);
}

// ---- writes ----------------------------------------------------------------------------------

void Database::submit(const std::function<void(Connection&)>& fn, bool solo) {
  if (std::this_thread::get_id() == writer_thread_.get_id()) {
    throw std::logic_error("Database::write() called from inside a write job");
  }
  Job job(&fn, solo);
  {
    // Begun before the lock is taken and ended after it is released, so the handler pool's
    // bookkeeping never runs under queue_mutex_.
    BlockingScope waiting;  // lets the handler pool run another request meanwhile
    std::unique_lock<std::mutex> lock(queue_mutex_);
    if (stopping_) throw std::logic_error("Database::write() called while the database closes");
    queue_.push_back(&job);
    queue_cv_.notify_one();
    job.cv.wait(lock, [&] { return job.done; });
  }
  if (job.error) std::rethrow_exception(job.error);
}

void Database::write_async(std::function<void(Connection&)> fn,
                           std::function<void(std::exception_ptr)> then) {
  if (std::this_thread::get_id() == writer_thread_.get_id()) {
    throw std::logic_error("Database::write_async() called from inside a write job");
  }
  auto job = std::make_unique<Job>(nullptr, false);
  job->owned_fn = std::move(fn);
  job->fn = &job->owned_fn;
  job->then = then ? std::move(then) : [](std::exception_ptr) {};  // non-empty marks it async
  std::lock_guard<std::mutex> lock(queue_mutex_);
  if (stopping_) throw std::logic_error("Database::write_async() called while the database closes");
  queue_.push_back(job.release());  // finish() deletes it
  queue_cv_.notify_one();
}

void Database::writer_loop() {
  std::vector<Job*> batch;
  for (;;) {
    batch.clear();
    {
      std::unique_lock<std::mutex> lock(queue_mutex_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every queued job is done
      if (queue_.front()->solo) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      } else {
        while (!queue_.empty() && !queue_.front()->solo && batch.size() < kMaxBatch) {
          batch.push_back(queue_.front());
          queue_.pop_front();
        }
      }
    }
    {
      std::lock_guard<std::mutex> connection_lock(writer_connection_mutex_);
      if (batch.front()->solo) {
        run_solo(batch.front());
      } else {
        run_batch(batch);
      }
    }
    finish(batch);
  }
}

void Database::run_batch(const std::vector<Job*>& batch) {
  Connection& c = *writer_;
  std::vector<Job*> pending;  // jobs whose changes sit in the open transaction
  auto fail_pending = [&](const std::exception_ptr& error) {
    for (Job* job : pending) job->error = error;
    pending.clear();
  };
  auto transaction_lost = [&] {
    // SQLite rolls the whole transaction back by itself after some errors (SQLITE_FULL,
    // SQLITE_IOERR, ...); the jobs that already ran in it are then lost too.
    return std::make_exception_ptr(StorageError(
        SQLITE_ABORT, "write batch rolled back by SQLite after an error in another job"));
  };

  for (Job* job : batch) {
    jobs_.fetch_add(1);
    try {
      if (!in_transaction(c)) c.prepare("BEGIN IMMEDIATE").run();
      c.prepare("SAVEPOINT j").run();
    } catch (...) {
      job->error = std::current_exception();
      rollback_quietly(c);
      fail_pending(job->error);
      continue;
    }
    try {
      (*job->fn)(c);
      reset_statements(c);
      if (!in_transaction(c)) {
        job->error = transaction_lost();
        fail_pending(job->error);
        continue;
      }
      c.prepare("RELEASE j").run();
      pending.push_back(job);
    } catch (...) {
      job->error = std::current_exception();
      reset_statements(c);
      if (!in_transaction(c)) {
        fail_pending(transaction_lost());
        continue;
      }
      try {
        c.prepare("ROLLBACK TO j").run();
        c.prepare("RELEASE j").run();
      } catch (...) {
        fail_pending(std::current_exception());
        rollback_quietly(c);
      }
    }
  }

  if (!in_transaction(c)) return;  // nothing left to commit (every job failed with it)
  try {
    c.prepare("COMMIT").run();
    commits_.fetch_add(1);
  } catch (...) {
    fail_pending(std::current_exception());
    rollback_quietly(c);
  }
}

void Database::run_solo(Job* job) {
  Connection& c = *writer_;
  jobs_.fetch_add(1);
  try {
    (*job->fn)(c);
    reset_statements(c);
    if (in_transaction(c)) {
      rollback_quietly(c);
      throw std::logic_error("a solo write job left its transaction open");
    }
  } catch (...) {
    job->error = std::current_exception();
    rollback_quietly(c);
  }
}

void Database::finish(const std::vector<Job*>& jobs) {
  std::vector<std::unique_ptr<Job>> async;
  std::vector<Job*> blocking;
  for (Job* job : jobs) {
    if (job->then) async.emplace_back(job);
    else blocking.push_back(job);
  }
  // The continuations first, outside the lock (they hand work to other threads, which may take
  // it), so that a blocking write() returns only after those of its batch have run: a write()
  // is then a barrier for every write_async() queued before it (see drain()).
  for (auto& job : async) log::run_guarded("write_async continuation", [&] { job->then(job->error); });
  async.clear();
  std::lock_guard<std::mutex> lock(queue_mutex_);
  for (Job* job : blocking) {
    job->done = true;
    job->cv.notify_one();  // under the lock: the caller may destroy the Job once it sees done
  }
}

void Database::drain() {
  submit([](Connection&) {});
}

void Database::migrate(std::string_view component, const std::vector<std::string>& scripts) {
  const std::string name(component);
  submit(
      [&](Connection& c) {
        c.exec(
            "CREATE TABLE IF NOT EXISTS nimbus_schema("
            "component TEXT PRIMARY KEY, version INTEGER NOT NULL)");
        Statement& query = c.prepare("SELECT version FROM nimbus_schema WHERE component = ?1");
        query.bind(1, name);
        int64_t version = query.step() ? query.column_int(0) : 0;
        query.reset();
        if (version > static_cast<int64_t>(scripts.size())) {
          throw StorageError(SQLITE_ERROR, "schema of component '" + name + "' is at version " +
                                               std::to_string(version) + " but this build knows " +
                                               std::to_string(scripts.size()));
        }
        for (size_t i = static_cast<size_t>(version); i < scripts.size(); ++i) {
          try {
            c.exec("BEGIN IMMEDIATE");
            c.exec(scripts[i]);
            c.prepare(
                 "INSERT INTO nimbus_schema(component, version) VALUES(?1, ?2) "
                 "ON CONFLICT(component) DO UPDATE SET version = excluded.version")
                .bind_all(name, static_cast<int64_t>(i + 1))
                .run();
            c.exec("COMMIT");
          } catch (const StorageError& e) {
            rollback_quietly(c);
            throw StorageError(e.sqlite_code, "migration " + std::to_string(i + 1) + " of '" +
                                                  name + "' failed: " + e.what());
          }
        }
      },
      true);
}

void Database::wipe() {
  submit(
      [](Connection& c) {
        c.exec("BEGIN IMMEDIATE; PRAGMA defer_foreign_keys=ON;");
        try {
          std::vector<std::string> tables;
          Statement& list = c.prepare(
              "SELECT name FROM sqlite_master WHERE type = 'table' "
              "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'nimbus_schema'");
          while (list.step()) tables.push_back(list.column_text(0));
          list.reset();
          for (const std::string& table : tables) c.exec("DELETE FROM " + quote_identifier(table));
          Statement& sequence = c.prepare(
              "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'");
          bool has_sequence = sequence.step();
          sequence.reset();
          if (has_sequence) c.exec("DELETE FROM sqlite_sequence");
          c.exec("COMMIT");
        } catch (...) {
          rollback_quietly(c);
          throw;
        }
      },
      true);
}

// ---- reads -----------------------------------------------------------------------------------

Database::Lease::Lease(Database& db) : db_(db), connection_(db.acquire_reader()) {}

Database::Lease::~Lease() { db_.release_reader(connection_); }

Connection* Database::acquire_reader() {
  if (std::this_thread::get_id() == writer_thread_.get_id()) {
    throw std::logic_error("Database::read() called from inside a write job");
  }
  std::unique_lock<std::mutex> lock(readers_mutex_);
  if (idle_readers_.empty()) {
    BlockingScope waiting;  // lets the handler pool run another request meanwhile
    readers_cv_.wait(lock, [&] { return !idle_readers_.empty(); });
  }
  Connection* connection = idle_readers_.back();
  idle_readers_.pop_back();
  return connection;
}

void Database::release_reader(Connection* connection) {
  rollback_quietly(*connection);  // resets unfinished statements; ends a BEGIN the read left open
  {
    std::lock_guard<std::mutex> lock(readers_mutex_);
    idle_readers_.push_back(connection);
  }
  readers_cv_.notify_one();
}

}  // namespace nimbus
