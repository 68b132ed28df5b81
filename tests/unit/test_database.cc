// Tests for Database (storage/database.h): migrations, write() results and rollback, group
// commit, write_async(), persistence across reopen, readers next to writers in file and ephemeral
// mode, wipe().
#include <doctest/doctest.h>

#include "tests/unit/temp_dir.h"
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "storage/database.h"

using namespace nimbus;

namespace {

// A fresh directory under the system temp dir, removed with everything in it.
using nimbus::testing::TempDir;

DatabaseOptions file_options(const TempDir& dir, Durability durability = Durability::Normal) {
  DatabaseOptions options;
  options.path = dir.file("nimbus.db");
  options.durability = durability;
  return options;
}

DatabaseOptions ephemeral_options() {
  DatabaseOptions options;
  options.ephemeral = true;
  return options;
}

int64_t count_rows(Database& db, const std::string& table) {
  return db.read([&](Connection& c) {
    Statement& s = c.prepare("SELECT count(*) FROM " + table);
    s.step();
    return s.column_int(0);
  });
}

int64_t schema_version(Database& db, const std::string& component) {
  return db.read([&](Connection& c) {
    Statement& s = c.prepare("SELECT version FROM nimbus_schema WHERE component = ?1");
    s.bind(1, component);
    return s.step() ? s.column_int(0) : int64_t{-1};
  });
}

struct MoveOnly {
  std::unique_ptr<int> value;
};

}  // namespace

TEST_CASE("migrate applies only new scripts, records versions and survives reopen") {
  TempDir dir;
  {
    Database db(file_options(dir));
    db.migrate("s3", {"CREATE TABLE buckets(name TEXT PRIMARY KEY)"});
    db.migrate("sqs", {"CREATE TABLE queues(name TEXT)", "ALTER TABLE queues ADD url TEXT"});
    CHECK(schema_version(db, "s3") == 1);
    CHECK(schema_version(db, "sqs") == 2);
    db.write([](Connection& c) { c.exec("INSERT INTO buckets VALUES('b1')"); });
  }
  {
    Database db(file_options(dir));
    // Re-running script 1 would fail (the table exists): only script 2 may run.
    db.migrate("s3", {"CREATE TABLE buckets(name TEXT PRIMARY KEY)",
                      "ALTER TABLE buckets ADD region TEXT"});
    db.migrate("sqs", {"CREATE TABLE queues(name TEXT)", "ALTER TABLE queues ADD url TEXT"});
    CHECK(schema_version(db, "s3") == 2);
    CHECK(schema_version(db, "sqs") == 2);
    CHECK(count_rows(db, "buckets") == 1);
    db.write([](Connection& c) { c.exec("INSERT INTO buckets VALUES('b2', 'us-east-1')"); });
    CHECK(count_rows(db, "buckets") == 2);
  }
}

TEST_CASE("a failing migration keeps the earlier scripts and is retried on the next migrate") {
  Database db(ephemeral_options());
  CHECK_THROWS_AS(db.migrate("x", {"CREATE TABLE a(x)", "CREATE TABLE oops(", "CREATE TABLE c(x)"}),
                  StorageError);
  CHECK(schema_version(db, "x") == 1);
  db.migrate("x", {"CREATE TABLE a(x)", "CREATE TABLE b(x)", "CREATE TABLE c(x)"});
  CHECK(schema_version(db, "x") == 3);
  CHECK(count_rows(db, "b") == 0);
}

TEST_CASE("migrate refuses a schema newer than the scripts it is given") {
  Database db(ephemeral_options());
  db.migrate("x", {"CREATE TABLE a(x)", "CREATE TABLE b(x)"});
  CHECK_THROWS_AS(db.migrate("x", {"CREATE TABLE a(x)"}), StorageError);
}

TEST_CASE("write returns void, int, std::string and move-only results") {
  Database db(ephemeral_options());
  db.migrate("t", {"CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"});
  db.write([](Connection& c) { c.prepare("INSERT INTO t(v) VALUES('a')").run(); });
  int64_t id = db.write([](Connection& c) {
    c.prepare("INSERT INTO t(v) VALUES('b')").run();
    return c.last_insert_rowid();
  });
  CHECK(id == 2);
  int changed =
      db.write([](Connection& c) { return c.prepare("UPDATE t SET v = v || '!'").run(); });
  CHECK(changed == 2);
  std::string text = db.write([](Connection& c) {
    Statement& s = c.prepare("SELECT group_concat(v, ',') FROM t");
    s.step();
    return s.column_text(0);
  });
  CHECK(text == "a!,b!");
  MoveOnly m = db.write([](Connection&) { return MoveOnly{std::make_unique<int>(7)}; });
  REQUIRE(m.value);
  CHECK(*m.value == 7);
}

namespace {
using WriteJob = std::function<void(Connection&)>;

// Holds the writer busy with one job for `hold` from another thread, so that writes queued
// meanwhile are taken together as the next batch. Constructed once that job runs.
class WriterBlocker {
 public:
  WriterBlocker(Database& db, std::chrono::milliseconds hold)
      : thread_([&db, hold, this] {
          db.write([&](Connection&) {
            running_ = true;
            std::this_thread::sleep_for(hold);
          });
        }) {
    while (!running_) std::this_thread::yield();
  }
  ~WriterBlocker() { join(); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> running_{false};
  std::thread thread_;
};

// Runs the jobs from one thread each while a blocker job holds the writer, so that they queue
// up and are taken as one batch. Returns each job's exception (null when it succeeded) and how
// many commits the jobs' batch made (so the caller can tell they did share one batch).
std::vector<std::exception_ptr> run_as_one_batch(Database& db, const std::vector<WriteJob>& jobs,
                                                 uint64_t* batch_commits) {
  WriterBlocker blocker(db, std::chrono::milliseconds(300));
  uint64_t commits_before = db.commits();  // the blocker's commit is still to come
  std::vector<std::exception_ptr> errors(jobs.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < jobs.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        db.write(jobs[i]);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  }
  blocker.join();
  for (std::thread& thread : threads) thread.join();
  *batch_commits = db.commits() - commits_before - 1;
  return errors;
}

std::string message_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  }
}
}  // namespace

TEST_CASE("a throwing job rolls back alone while another job of its batch commits") {
  TempDir dir;
  Database db(file_options(dir));
  db.migrate("t", {"CREATE TABLE t(name TEXT PRIMARY KEY)"});
  uint64_t jobs_before = db.jobs();
  uint64_t batch_commits = 0;
  auto errors = run_as_one_batch(db,
                                 {[](Connection& c) {
                                    c.exec("INSERT INTO t VALUES('failed-1')");
                                    c.exec("INSERT INTO t VALUES('failed-2')");
                                    throw std::runtime_error("boom");
                                  },
                                  [](Connection& c) { c.exec("INSERT INTO t VALUES('ok')"); }},
                                 &batch_commits);
  CHECK(batch_commits == 1);  // both jobs were in one batch
  CHECK(db.jobs() - jobs_before == 3);
  REQUIRE(errors[0]);
  CHECK_THROWS_WITH_AS(std::rethrow_exception(errors[0]), "boom", std::runtime_error);
  CHECK_FALSE(errors[1]);
  CHECK(count_rows(db, "t") == 1);
  CHECK(db.read([](Connection& c) {
    Statement& s = c.prepare("SELECT name FROM t");
    s.step();
    return s.column_text(0);
  }) == "ok");
}

TEST_CASE("when COMMIT fails every job of the batch gets the error and nothing is kept") {
  Database db(ephemeral_options());
  db.migrate("t", {"CREATE TABLE p(id INTEGER PRIMARY KEY)",
                   "CREATE TABLE c(p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED)"});
  uint64_t batch_commits = 0;
  // The deferred foreign key is only checked at COMMIT, after both jobs' savepoints released.
  auto errors = run_as_one_batch(db,
                                 {[](Connection& c) { c.exec("INSERT INTO p VALUES(1)"); },
                                  [](Connection& c) { c.exec("INSERT INTO c VALUES(42)"); }},
                                 &batch_commits);
  CHECK(batch_commits == 0);
  for (const std::exception_ptr& error : errors) {
    REQUIRE(error);
    CHECK(message_of(error).find("FOREIGN KEY constraint failed") != std::string::npos);
  }
  CHECK(count_rows(db, "p") == 0);
  CHECK(count_rows(db, "c") == 0);
  // The writer recovered: the next write commits.
  db.write([](Connection& c) { c.exec("INSERT INTO p VALUES(2)"); });
  CHECK(count_rows(db, "p") == 1);
}

TEST_CASE("a job failing on a constraint rolls back its earlier statements") {
  Database db(ephemeral_options());
  db.migrate("t", {"CREATE TABLE t(k TEXT PRIMARY KEY)"});
  db.write([](Connection& c) { c.exec("INSERT INTO t VALUES('a')"); });
  try {
    db.write([](Connection& c) {
      c.exec("INSERT INTO t VALUES('b')");
      c.exec("INSERT INTO t VALUES('a')");
    });
    FAIL("expected a StorageError");
  } catch (const StorageError& e) {
    CHECK(e.sqlite_code == SQLITE_CONSTRAINT_PRIMARYKEY);
  }
  CHECK(count_rows(db, "t") == 1);
}

TEST_CASE("group commit serves many concurrent writes with few commits") {
  TempDir dir;
  Database db(file_options(dir, Durability::Full));
  db.migrate("t", {"CREATE TABLE t(thread INTEGER, n INTEGER)"});
  uint64_t commits_before = db.commits();
  uint64_t jobs_before = db.jobs();
  constexpr int kThreads = 8;
  constexpr int kWritesPerThread = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&db, t] {
      for (int n = 0; n < kWritesPerThread; ++n) {
        db.write(
            [&](Connection& c) { c.prepare("INSERT INTO t VALUES(?1, ?2)").bind_all(t, n).run(); });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  uint64_t jobs = db.jobs() - jobs_before;
  uint64_t commits = db.commits() - commits_before;
  MESSAGE("group commit: " << jobs << " jobs in " << commits << " commits");
  CHECK(jobs == kThreads * kWritesPerThread);
  CHECK(count_rows(db, "t") == kThreads * kWritesPerThread);
  CHECK(commits * 2 < jobs);
}

TEST_CASE("committed writes persist after the database is closed and reopened") {
  TempDir dir;
  {
    Database db(file_options(dir, Durability::Full));
    db.migrate("t", {"CREATE TABLE t(k TEXT, v BLOB)"});
    db.write([](Connection& c) {
      c.prepare("INSERT INTO t VALUES(?1, ?2)")
          .bind(1, "key")
          .bind_blob(2, std::string("\0x", 2))
          .run();
    });
  }
  // Closing checkpointed the WAL into the main file.
  bool wal_has_data = std::filesystem::exists(dir.file("nimbus.db-wal")) &&
                      std::filesystem::file_size(dir.file("nimbus.db-wal")) > 0;
  CHECK_FALSE(wal_has_data);
  Database db(file_options(dir));
  std::string value = db.read([](Connection& c) {
    Statement& s = c.prepare("SELECT v FROM t WHERE k = 'key'");
    REQUIRE(s.step());
    return s.column_blob(0);
  });
  CHECK(value == std::string("\0x", 2));
}

TEST_CASE("the database file is in WAL mode with foreign keys enforced") {
  TempDir dir;
  Database db(file_options(dir));
  db.migrate("t", {"CREATE TABLE p(id INTEGER PRIMARY KEY)",
                   "CREATE TABLE c(p INTEGER REFERENCES p(id))"});
  std::string mode = db.read([](Connection& c) {
    Statement& s = c.prepare("PRAGMA journal_mode");
    s.step();
    return s.column_text(0);
  });
  CHECK(mode == "wal");
  CHECK_THROWS_AS(db.write([](Connection& c) { c.exec("INSERT INTO c VALUES(42)"); }),
                  StorageError);
}

TEST_CASE("ephemeral readers see committed writes and nothing survives close") {
  std::string where;
  {
    Database db(ephemeral_options());
    CHECK(db.ephemeral());
    where = db.ephemeral_directory();
    REQUIRE(!where.empty());
    CHECK(std::filesystem::is_directory(where));
    if (std::filesystem::is_directory("/dev/shm")) CHECK(where.rfind("/dev/shm/", 0) == 0);
    auto perms = std::filesystem::status(where).permissions();
    CHECK((perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
          std::filesystem::perms::none);
    db.migrate("t", {"CREATE TABLE t(x)"});
    for (int i = 0; i < 10; ++i) {
      db.write([&](Connection& c) { c.prepare("INSERT INTO t VALUES(?1)").bind(1, i).run(); });
      CHECK(count_rows(db, "t") == i + 1);
    }
    // WAL mode without waiting for the disk.
    std::string mode = db.read([](Connection& c) {
      Statement& s = c.prepare("PRAGMA journal_mode");
      s.step();
      return s.column_text(0);
    });
    CHECK(mode == "wal");
    // Two databases are independent.
    Database other(ephemeral_options());
    CHECK(other.ephemeral_directory() != where);
    CHECK_THROWS_AS(count_rows(other, "t"), StorageError);
  }
  CHECK_FALSE(std::filesystem::exists(where));  // removed with the Database
}

TEST_CASE("an ephemeral database sweeps away directories left by killed processes") {
  std::string base;
  {
    Database probe(ephemeral_options());
    base = std::filesystem::path(probe.ephemeral_directory()).parent_path().string();
  }
  // 99999999 is above any pid_max, so no such process exists.
  auto stale = std::filesystem::path(base) / "nimbus-ephemeral-db-99999999-abcdef";
  auto live = std::filesystem::path(base) / ("nimbus-ephemeral-db-" +
                                              std::to_string(::getpid()) + "-zzzzzz");
  std::filesystem::create_directories(stale);
  std::filesystem::create_directories(live);
  Database db(ephemeral_options());
  CHECK_FALSE(std::filesystem::exists(stale));
  CHECK(std::filesystem::exists(live));  // our own process is alive: left alone
  std::filesystem::remove_all(live);
}

TEST_CASE("ephemeral reads run concurrently with each other") {
  Database db(ephemeral_options());
  db.migrate("t", {"CREATE TABLE t(x)"});
  db.write([](Connection& c) { c.exec("INSERT INTO t VALUES(1)"); });
  // The first read waits, inside read(), for a second read to finish: with reads serialized
  // (the old design) the second could not start and the wait would time out.
  std::mutex m;
  std::condition_variable cv;
  bool second_done = false;
  bool saw_second = false;
  std::thread first([&] {
    db.read([&](Connection& c) {
      Statement& s = c.prepare("SELECT count(*) FROM t");
      CHECK(s.step());
      CHECK(s.column_int(0) == 1);
      std::unique_lock<std::mutex> lock(m);
      saw_second = cv.wait_for(lock, std::chrono::seconds(5), [&] { return second_done; });
      return 0;
    });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(count_rows(db, "t") == 1);
  {
    std::lock_guard<std::mutex> lock(m);
    second_done = true;
  }
  cv.notify_all();
  first.join();
  CHECK(saw_second);
}

TEST_CASE("read() refuses to write in file and ephemeral mode") {
  TempDir dir;
  Database file_db(file_options(dir));
  Database memory_db(ephemeral_options());
  for (Database* db : {&file_db, &memory_db}) {
    db->migrate("t", {"CREATE TABLE t(x)"});
    CHECK_THROWS_AS(db->read([](Connection& c) { c.exec("INSERT INTO t VALUES(1)"); }),
                    StorageError);
    db->write([](Connection& c) { c.exec("INSERT INTO t VALUES(1)"); });  // writes still work
    CHECK(count_rows(*db, "t") == 1);
  }
}

TEST_CASE("calling write() or read() inside a write job throws instead of deadlocking") {
  Database db(ephemeral_options());
  CHECK_THROWS_AS(db.write([&](Connection&) { db.write([](Connection&) {}); }), std::logic_error);
  CHECK_THROWS_AS(db.write([&](Connection&) { return count_rows(db, "sqlite_master"); }),
                  std::logic_error);
}

TEST_CASE("a read that leaves a statement unfinished does not pin an old snapshot") {
  TempDir dir;
  DatabaseOptions options = file_options(dir);
  options.reader_count = 1;  // every read uses the same connection
  Database db(options);
  db.migrate("t", {"CREATE TABLE t(x)", "INSERT INTO t VALUES(1), (2)"});
  db.read([](Connection& c) {
    Statement& s = c.prepare("SELECT x FROM t");
    CHECK(s.step());  // one row read, the statement stays active
  });
  db.write([](Connection& c) { c.exec("INSERT INTO t VALUES(3)"); });
  CHECK(count_rows(db, "t") == 3);
}

namespace {
// 4 readers and 2 writers for a while; every job inserts two rows (or inserts one and fails),
// so a reader that ever saw an odd count saw half a job.
void readers_never_see_half_a_job(Database& db) {
  db.migrate("t", {"CREATE TABLE t(id INTEGER PRIMARY KEY, writer INTEGER)"});
  std::atomic<bool> stop{false};
  std::atomic<int> odd_counts{0};
  std::atomic<int> errors{0};
  std::atomic<int> reads{0};
  std::atomic<int> writes{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < 4; ++r) {
    threads.emplace_back([&] {
      while (!stop) {
        try {
          if (count_rows(db, "t") % 2 != 0) ++odd_counts;
          ++reads;
        } catch (...) {
          ++errors;
        }
      }
    });
  }
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int n = 0; !stop; ++n) {
        try {
          db.write([&](Connection& c) {
            Statement& insert = c.prepare("INSERT INTO t(writer) VALUES(?1)");
            insert.bind(1, w).run();
            if (n % 5 == 4) throw std::runtime_error("half a job");
            insert.bind(1, w).run();
          });
          ++writes;
        } catch (const std::runtime_error& e) {
          if (std::string(e.what()) != "half a job") ++errors;
        } catch (...) {
          ++errors;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  stop = true;
  for (std::thread& thread : threads) thread.join();
  CHECK(errors == 0);
  CHECK(odd_counts == 0);
  CHECK(reads > 0);
  CHECK(writes > 0);
  CHECK(count_rows(db, "t") == 2 * writes);
}
}  // namespace

TEST_CASE("concurrent readers and writers in file mode never see half a job") {
  TempDir dir;
  Database db(file_options(dir));
  readers_never_see_half_a_job(db);
}

TEST_CASE("concurrent readers and writers in ephemeral mode never see half a job") {
  Database db(ephemeral_options());
  readers_never_see_half_a_job(db);
}

TEST_CASE("wipe deletes every row but keeps tables, versions and foreign keys") {
  TempDir dir;
  Database db(file_options(dir));
  db.migrate("t", {"CREATE TABLE child(p INTEGER REFERENCES parent(id))",
                   "CREATE TABLE parent(id INTEGER PRIMARY KEY AUTOINCREMENT)"});
  db.write([](Connection& c) {
    c.exec("INSERT INTO parent DEFAULT VALUES; INSERT INTO child VALUES(1);");
  });
  db.wipe();
  CHECK(count_rows(db, "parent") == 0);
  CHECK(count_rows(db, "child") == 0);
  CHECK(schema_version(db, "t") == 2);
  int64_t id = db.write([](Connection& c) {
    c.exec("INSERT INTO parent DEFAULT VALUES");
    return c.last_insert_rowid();
  });
  CHECK(id == 1);  // AUTOINCREMENT restarted
}

TEST_CASE("write_async runs its continuation after the commit, with the job's error if it threw") {
  TempDir dir;
  Database db(file_options(dir));
  db.migrate("t", {"CREATE TABLE t(name TEXT PRIMARY KEY)"});
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::pair<std::string, std::exception_ptr>> finished;
  auto then = [&](const std::string& name) {
    return [&, name](std::exception_ptr error) {  // on the writer thread, after the commit
      std::lock_guard lock(mutex);
      finished.emplace_back(name, error);
      changed.notify_all();
    };
  };
  auto wait_for = [&](size_t n) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(5), [&] { return finished.size() >= n; });
  };

  db.write_async([](Connection& c) { c.exec("INSERT INTO t VALUES('a')"); }, then("a"));
  REQUIRE(wait_for(1));
  CHECK(finished[0].first == "a");
  CHECK_FALSE(finished[0].second);
  CHECK(count_rows(db, "t") == 1);  // committed: a reader sees it

  db.write_async(
      [](Connection& c) {
        c.exec("INSERT INTO t VALUES('b')");
        throw std::runtime_error("refused");
      },
      then("b"));
  REQUIRE(wait_for(2));
  REQUIRE(finished[1].second);
  CHECK(message_of(finished[1].second) == "refused");
  CHECK(count_rows(db, "t") == 1);  // b's insert was rolled back

  // No continuation at all is allowed: the job still runs, and is freed after its batch.
  db.write_async([](Connection& c) { c.exec("INSERT INTO t VALUES('c')"); }, {});
  db.write([](Connection&) {});  // queued after it, so it has committed when this returns
  CHECK(count_rows(db, "t") == 2);

  // A write job may not queue more writes from inside its batch.
  CHECK_THROWS_AS(db.write([&](Connection&) { db.write_async([](Connection&) {}, [](auto) {}); }),
                  std::logic_error);
}

TEST_CASE("write_async jobs share batches with blocking writes and run before the database closes") {
  TempDir dir;
  std::atomic<int> done{0};
  uint64_t commits = 0;
  {
    Database db(file_options(dir));
    db.migrate("t", {"CREATE TABLE t(name TEXT PRIMARY KEY)"});
    WriterBlocker blocker(db, std::chrono::milliseconds(200));
    uint64_t before = db.commits();
    for (int i = 0; i < 20; ++i)
      db.write_async([i](Connection& c) { c.exec("INSERT INTO t VALUES('" + std::to_string(i) + "')"); },
                     [&](std::exception_ptr error) {
                       if (!error) ++done;
                     });
    blocker.join();
    db.write([](Connection& c) { c.exec("INSERT INTO t VALUES('sync')"); });  // after the 20
    CHECK(done.load() == 20);
    commits = db.commits() - before - 1;  // not counting the blocker's
    CHECK(commits <= 2);                  // the 20 async jobs (and perhaps the sync one): one batch
    for (int i = 0; i < 5; ++i)           // left queued when the database closes
      db.write_async([](Connection& c) { c.exec("INSERT INTO t SELECT 'late'||count(*) FROM t"); },
                     [&](std::exception_ptr error) {
                       if (!error) ++done;
                     });
  }
  CHECK(done.load() == 25);
  Database reopened(file_options(dir));
  CHECK(count_rows(reopened, "t") == 26);
}

TEST_CASE("drain() returns after the continuations of every earlier write_async have run") {
  TempDir dir;
  Database db(file_options(dir));
  db.migrate("t", {"CREATE TABLE t(n INTEGER)"});
  WriterBlocker blocker(db, std::chrono::milliseconds(100));
  std::atomic<int> done{0};
  for (int i = 0; i < 10; ++i)
    db.write_async([](Connection& c) { c.exec("INSERT INTO t VALUES(1)"); },
                   [&](std::exception_ptr) {
                     std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a slow one
                     ++done;
                   });
  db.drain();  // queued behind the ten, in their batch (the blocker holds the writer)
  CHECK(done.load() == 10);
  blocker.join();
}

TEST_CASE("a second Database on the same file is refused until the first one closes") {
  TempDir dir;
  {
    Database first(file_options(dir));
    first.migrate("t", {"CREATE TABLE t(x)"});
    try {
      Database second(file_options(dir));
      FAIL("a second Database opened a file that is in use");
    } catch (const StorageError& e) {
      CHECK(e.sqlite_code == SQLITE_BUSY);
      CHECK(std::string(e.what()).find("in use by another process (pid " +
                                       std::to_string(getpid()) + ")") != std::string::npos);
    }
    first.write([](Connection& c) { c.exec("INSERT INTO t VALUES(1)"); });  // still works
  }
  Database again(file_options(dir));
  CHECK(count_rows(again, "t") == 1);
}

namespace {
// Every row of t(id, v)'s first bytes in id order, with the row count: equal strings, equal
// contents.
std::string contents_of_t(Connection& c) {
  Statement& s = c.prepare("SELECT count(*), group_concat(hex(substr(v, 1, 4)), '') "
                           "FROM (SELECT v FROM t ORDER BY id)");
  REQUIRE(s.step());
  return std::to_string(s.column_int(0)) + ":" + s.column_text_or_null(1).value_or("");
}

// Inserts rows [first, first + count) of 3,000 random bytes each in one write job, and returns
// the table's contents as the writer sees them at the end of that job.
std::string insert_random_rows(Database& db, int first, int count) {
  return db.write([&](Connection& c) {
    Statement& s = c.prepare("INSERT INTO t VALUES(?1, randomblob(3000))");
    for (int i = first; i < first + count; ++i) s.bind(1, i).run();
    return contents_of_t(c);
  });
}
}  // namespace

TEST_CASE("a reader's snapshot holds while the writer commits and checkpoints") {
  // The WAL-index locks live in process memory (storage/in_process_vfs.h): a checkpoint must
  // still see the open read transaction and leave the frames of its snapshot alone, and the
  // WAL must not restart under it.
  TempDir dir;
  Database db(file_options(dir));
  db.migrate("t", {"CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)"});
  insert_random_rows(db, 0, 200);
  db.read([&](Connection& c) {
    c.exec("BEGIN");
    std::string before = contents_of_t(c);
    std::thread writer([&] {
      for (int round = 0; round < 5; ++round) {
        db.write([](Connection& w) { w.exec("UPDATE t SET v = randomblob(3000)"); });
        insert_random_rows(db, 1000 * (round + 1), 400);  // ~1.2 MB a round: checkpoints run
      }
    });
    writer.join();
    c.exec("PRAGMA shrink_memory");  // drop the reader's page cache: read the pages again
    CHECK(contents_of_t(c) == before);
    c.exec("COMMIT");
  });
  CHECK(count_rows(db, "t") == 200 + 5 * 400);
}

TEST_CASE("transactions of every size reach the readers whole through the gathered WAL writes") {
  // storage/in_process_vfs.cc holds a transaction's WAL frames until its commit frame and writes
  // a big one out in 64 KiB writes; a reader must then see exactly what the writer committed.
  TempDir dir;
  Database db(file_options(dir));
  db.migrate("t", {"CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)"});
  int next_id = 0;
  for (int rows : {1, 3, 50, 500, 1}) {  // ~3 KB, 9 KB, 150 KB, 1.5 MB, then small again
    std::string committed = insert_random_rows(db, next_id, rows);
    next_id += rows;
    CHECK(db.read([](Connection& c) { return contents_of_t(c); }) == committed);
  }
  CHECK(count_rows(db, "t") == next_id);
}
