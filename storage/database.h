// Database: the process's SQLite store. WAL mode, versioned migrations per component, one writer
// thread that batches concurrent write jobs into one transaction (group commit: one fsync serves
// many requests), and a pool of reader connections.
//
//   db.migrate("s3", {"CREATE TABLE buckets(...)", "ALTER TABLE buckets ADD ..."});
//   auto id = db.write([&](Connection& c) { c.prepare("INSERT ...").bind_all(a, b).run();
//                                           return c.last_insert_rowid(); });
//   auto n = db.read([&](Connection& c) { auto& s = c.prepare("SELECT count(*) FROM t");
//                                         s.step(); return s.column_int(0); });
//
// Every state change of one API call goes in one write() job: it is atomic (a savepoint inside
// the batch; if the job throws, its changes are rolled back and the exception is rethrown to the
// caller, other jobs of the batch still commit) and durable per Durability when write() returns.
// A batch holds up to 256 jobs. If COMMIT itself fails (I/O error, a DEFERRABLE foreign key),
// every job of the batch gets that error and none of them is kept; so avoid deferred
// constraints. Never call write() or read() from inside a write job (std::logic_error); do all
// the job's reads on the Connection it is given. Do not nest read() calls either (they could
// exhaust the pool).
//
// Connections: one read-write connection owned by the writer thread and `reader_count`
// read-only connections in a pool (read() blocks while all are borrowed); WAL lets readers run
// next to the writer and next to each other, each read() seeing the last committed state (never
// a dirty read). Ephemeral mode works the same way on a database file in a private temporary
// directory (mode 0700, under /dev/shm when the machine has it, so it lives in memory; else under
// the system temp directory) with synchronous=OFF; `path` and `durability` are ignored. The
// directory (`nimbus-ephemeral-db-<pid>-*`) is removed when the Database is destroyed (normal
// exit, SIGINT/SIGTERM); one left behind by a process killed with SIGKILL is removed by the next
// ephemeral Database opened on the machine.
// A read() must not write; statements it leaves unfinished are reset when it returns.
//
// One process at a time: the connections keep SQLite's WAL-index locks in process memory
// (storage/in_process_vfs.h), so opening a database that another process has open throws a
// StorageError (SQLITE_BUSY) naming that process. Do not open the live file with other SQLite
// programs either.
//
// Thread-safety: write() and read() may be called from any number of threads, but not from
// inside a write job (std::logic_error).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "storage/sqlite.h"

namespace nimbus {

enum class Durability {
  Off,     // synchronous=OFF: fastest; a crash of the machine may lose recent writes
  Normal,  // synchronous=NORMAL (WAL): every acknowledged write survives kill -9 of the process;
           // a power loss may lose the last commits. The default.
  Full,    // synchronous=FULL: fsync on every commit; survives power loss too
};

struct DatabaseOptions {
  std::string path;            // file path; ignored when ephemeral
  bool ephemeral = false;      // private temp (memory-backed) directory, removed on close
  Durability durability = Durability::Normal;
  int reader_count = 4;
};

class Database {
 public:
  // Opens or creates the database. Throws StorageError.
  explicit Database(const DatabaseOptions& options);
  ~Database();  // finishes queued writes, stops the writer, closes connections
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Applies the scripts of `component` that are not yet applied (script i is version i+1), each
  // in its own transaction, and records the version in table nimbus_schema. Runs on the writer
  // thread between batches. Throws StorageError when a script fails (earlier scripts stay
  // applied) or when the stored version is newer than scripts.size().
  void migrate(std::string_view component, const std::vector<std::string>& scripts);

  template <class F>
  auto write(F&& fn) -> std::invoke_result_t<F, Connection&> {
    using R = std::invoke_result_t<F, Connection&>;
    if constexpr (std::is_void_v<R>) {
      submit([&](Connection& c) { fn(c); });
    } else {
      std::optional<R> result;
      submit([&](Connection& c) { result.emplace(fn(c)); });
      return std::move(*result);
    }
  }

  // The same write without waiting for it: fn runs in a later batch, and once that batch has
  // committed (or fn or the commit failed), then(error) runs on the writer thread, with a null
  // error on success. `then` must be quick (hand the rest to another thread) and must not
  // write(); its exceptions are logged and dropped. Queued jobs still run when the database
  // closes. Throws std::logic_error while it closes.
  void write_async(std::function<void(Connection&)> fn,
                   std::function<void(std::exception_ptr)> then);
  // Returns once every write queued before the call has committed (or failed) and every
  // write_async() continuation among them has run. For shutdown: after the threads that queue
  // writes have stopped, and before what the queued jobs use is destroyed.
  void drain();

  template <class F>
  auto read(F&& fn) -> std::invoke_result_t<F, Connection&> {
    Lease lease(*this);
    return fn(lease.connection());
  }

  // Deletes every row of every table (schema and versions stay; AUTOINCREMENT counters restart).
  // For /_nimbus/reset.
  void wipe();
  Durability durability() const { return options_.durability; }
  bool ephemeral() const { return options_.ephemeral; }
  // Ephemeral mode: the private directory holding the database (empty in file mode).
  const std::string& ephemeral_directory() const { return ephemeral_dir_; }

  // Statistics of the writer thread: committed write transactions (a batch is one) and write
  // jobs run (including failed ones). jobs() / commits() is the mean batch size.
  uint64_t commits() const { return commits_.load(); }
  uint64_t jobs() const { return jobs_.load(); }

 private:
  struct Job;
  class Lease {  // a reader connection borrowed from the pool for one read()
   public:
    explicit Lease(Database& db);
    ~Lease();
    Connection& connection() { return *connection_; }

   private:
    Database& db_;
    Connection* connection_;
  };

  // Queues fn for the writer thread and blocks until its batch commits; rethrows fn's exception.
  // A solo job runs alone, outside any transaction the writer opens: it manages its own
  // (migrations, wipe).
  void submit(const std::function<void(Connection&)>& fn, bool solo = false);
  void writer_loop();
  void run_batch(const std::vector<Job*>& batch);
  void run_solo(Job* job);
  void finish(const std::vector<Job*>& jobs);
  Connection* acquire_reader();
  void release_reader(Connection* connection);
  void remove_ephemeral_dir();

  DatabaseOptions options_;
  std::string uri_;
  std::string ephemeral_dir_;
  // An exclusive flock() on "<path>.lock", held from before the first connection opens until
  // after the last one closes: one process at a time per database (storage/in_process_vfs.h).
  int owner_lock_fd_ = -1;
  std::unique_ptr<Connection> writer_;
  // Held by the writer thread while it runs a batch.
  std::mutex writer_connection_mutex_;
  std::vector<std::unique_ptr<Connection>> readers_;
  std::vector<Connection*> idle_readers_;
  std::mutex readers_mutex_;
  std::condition_variable readers_cv_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Job*> queue_;
  bool stopping_ = false;
  std::thread writer_thread_;
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> jobs_{0};
};

}  // namespace nimbus
