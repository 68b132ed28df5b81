// The in-process-lock VFS (storage/in_process_vfs.h): a thin wrapper over the unix VFS whose
// files forward every method to the unix file they contain, except xShmLock (and xShmUnmap,
// which also drops the locks) and, for WAL files, writes. The lock rules are those of SQLite's
// own unixShmLock: any number of shared holders, or one exclusive holder, per lock slot; a
// request that conflicts answers SQLITE_BUSY at once and SQLite retries it. A WAL file's writes
// are gathered until the page of a commit frame (or 1 MiB) and written out before any other
// method of that file runs; a WAL file belongs to one connection, so this needs no lock.
#include "storage/in_process_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>

namespace nimbus {
namespace {

// The WAL-index locks of one database file, shared by this process's connections to it.
struct ShmLocks {
  std::mutex mutex;
  int shared[SQLITE_SHM_NLOCK] = {};      // connections holding each slot shared
  bool exclusive[SQLITE_SHM_NLOCK] = {};  // a connection holds the slot exclusively
};

std::shared_ptr<ShmLocks> locks_for(const std::string& path) {
  static std::mutex registry_mutex;
  static auto* registry = new std::map<std::string, std::weak_ptr<ShmLocks>>();
  std::lock_guard<std::mutex> lock(registry_mutex);
  for (auto it = registry->begin(); it != registry->end();) {  // forget closed databases
    if (it->second.expired()) it = registry->erase(it);
    else ++it;
  }
  auto& slot = (*registry)[path];
  auto locks = slot.lock();
  if (!locks) {
    locks = std::make_shared<ShmLocks>();
    slot = locks;
  }
  return locks;
}

struct File {
  sqlite3_file base;               // what SQLite sees; must come first
  sqlite3_file* real = nullptr;    // the unix VFS's file, in the same allocation after this
  std::string path;                // main database files: their full path (the locks' key)
  std::shared_ptr<ShmLocks> locks; // taken on the first xShmLock
  uint32_t shared_mask = 0;        // slots this connection holds shared
  uint32_t exclusive_mask = 0;     // ... and exclusively
  // WAL files: the frames SQLite wrote since the last commit frame, kept here and written
  // with one pwrite() when the commit frame is complete (SQLite writes each frame as a 24-byte
  // header and a page: two system calls a page). A commit is published to readers only after
  // its commit frame's write returns, so readers never look at frames still held here.
  bool wal = false;
  std::string pending;
  sqlite3_int64 pending_offset = 0;
  bool commit_frame_next = false;  // the last write was a commit frame's header
};

constexpr size_t kWalFrameHeader = 24;
constexpr size_t kMaxPendingWal = 1 << 20;  // a big transaction goes out in pieces this large
constexpr size_t kMaxWrite = 64 * 1024;  // the unix VFS writes less than 128 KiB per call

constexpr size_t kRealOffset = (sizeof(File) + 15) & ~size_t(15);

sqlite3_vfs* g_unix = nullptr;
sqlite3_vfs g_vfs;
sqlite3_io_methods g_methods;

File* self(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
sqlite3_file* real(sqlite3_file* f) { return self(f)->real; }
const sqlite3_io_methods& real_methods(sqlite3_file* f) { return *real(f)->pMethods; }

// Gives back every slot `file` holds (under the locks' mutex).
void release(File& file, uint32_t mask) {
  for (int i = 0; i < SQLITE_SHM_NLOCK; ++i) {
    uint32_t bit = 1u << i;
    if (!(mask & bit)) continue;
    if (file.shared_mask & bit) --file.locks->shared[i];
    if (file.exclusive_mask & bit) file.locks->exclusive[i] = false;
  }
  file.shared_mask &= ~mask;
  file.exclusive_mask &= ~mask;
}

int shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  File& file = *self(f);
  if (offset < 0 || n < 1 || offset + n > SQLITE_SHM_NLOCK) return SQLITE_IOERR_SHMLOCK;
  if (!file.locks) file.locks = locks_for(file.path);
  ShmLocks& locks = *file.locks;
  uint32_t mask = ((1u << (offset + n)) - 1) & ~((1u << offset) - 1);
  std::lock_guard<std::mutex> guard(locks.mutex);
  if (flags & SQLITE_SHM_UNLOCK) {
    release(file, mask);
    return SQLITE_OK;
  }
  for (int i = offset; i < offset + n; ++i) {
    uint32_t bit = 1u << i;
    if (locks.exclusive[i] && !(file.exclusive_mask & bit)) return SQLITE_BUSY;
    if (flags & SQLITE_SHM_EXCLUSIVE) {
      int others = locks.shared[i] - ((file.shared_mask & bit) ? 1 : 0);
      if (others > 0) return SQLITE_BUSY;
    }
  }
  for (int i = offset; i < offset + n; ++i) {
    uint32_t bit = 1u << i;
    if (flags & SQLITE_SHM_EXCLUSIVE) {
      locks.exclusive[i] = true;
      file.exclusive_mask |= bit;
    } else if (!(file.shared_mask & bit)) {
      ++locks.shared[i];
      file.shared_mask |= bit;
    }
  }
  return SQLITE_OK;
}

int shm_unmap(sqlite3_file* f, int delete_flag) {
  File& file = *self(f);
  if (file.locks) {
    {
      std::lock_guard<std::mutex> guard(file.locks->mutex);
      release(file, ~0u);
    }
    file.locks.reset();
  }
  return real_methods(f).xShmUnmap(real(f), delete_flag);
}

int flush_wal(sqlite3_file* f);

int close_file(sqlite3_file* f) {
  File* file = self(f);
  if (file->locks) {
    std::lock_guard<std::mutex> guard(file->locks->mutex);
    release(*file, ~0u);
  }
  int flushed = file->real->pMethods ? flush_wal(f) : SQLITE_OK;
  int rc = file->real->pMethods ? file->real->pMethods->xClose(file->real) : SQLITE_OK;
  if (rc == SQLITE_OK) rc = flushed;
  file->~File();
  return rc;
}

// Writes out what a WAL file holds. Every method that could see the file's contents or size
// calls this first.
int flush_wal(sqlite3_file* f) {
  File& file = *self(f);
  int rc = SQLITE_OK;
  for (size_t done = 0; done < file.pending.size() && rc == SQLITE_OK; done += kMaxWrite) {
    size_t n = std::min(kMaxWrite, file.pending.size() - done);
    rc = real_methods(f).xWrite(real(f), file.pending.data() + done, static_cast<int>(n),
                                file.pending_offset + static_cast<sqlite3_int64>(done));
  }
  file.pending.clear();
  return rc;
}

int wal_write(sqlite3_file* f, const void* data, int n, sqlite3_int64 offset) {
  File& file = *self(f);
  const char* bytes = static_cast<const char*>(data);
  sqlite3_int64 end = file.pending_offset + static_cast<sqlite3_int64>(file.pending.size());
  if (!file.pending.empty() && offset >= file.pending_offset && offset + n <= end) {
    std::memcpy(file.pending.data() + (offset - file.pending_offset), bytes, n);  // a rewrite
  } else if (!file.pending.empty() && offset == end) {
    file.pending.append(bytes, static_cast<size_t>(n));
  } else {
    int rc = flush_wal(f);
    if (rc != SQLITE_OK) return rc;
    file.pending_offset = offset;
    file.pending.assign(bytes, static_cast<size_t>(n));
  }
  // A frame header's bytes 4-7 hold the database size after the commit, or zero when the frame
  // does not end a transaction (the WAL file format, sqlite.org/fileformat.html).
  bool commit_page = file.commit_frame_next;
  file.commit_frame_next = false;
  if (n == static_cast<int>(kWalFrameHeader)) {
    const auto* u = reinterpret_cast<const unsigned char*>(bytes);
    file.commit_frame_next = (u[4] | u[5] | u[6] | u[7]) != 0;
  }
  if (commit_page || file.pending.size() >= kMaxPendingWal) return flush_wal(f);
  return SQLITE_OK;
}

// ---- forwarded file methods ----
int file_read(sqlite3_file* f, void* b, int n, sqlite3_int64 o) {
  if (self(f)->wal) {
    int rc = flush_wal(f);
    if (rc != SQLITE_OK) return rc;
  }
  return real_methods(f).xRead(real(f), b, n, o);
}
int file_write(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
  if (self(f)->wal) return wal_write(f, b, n, o);
  return real_methods(f).xWrite(real(f), b, n, o);
}
int file_truncate(sqlite3_file* f, sqlite3_int64 size) {
  int rc = flush_wal(f);
  return rc != SQLITE_OK ? rc : real_methods(f).xTruncate(real(f), size);
}
int file_sync(sqlite3_file* f, int flags) {
  int rc = flush_wal(f);
  return rc != SQLITE_OK ? rc : real_methods(f).xSync(real(f), flags);
}
int file_size(sqlite3_file* f, sqlite3_int64* size) {
  int rc = flush_wal(f);
  return rc != SQLITE_OK ? rc : real_methods(f).xFileSize(real(f), size);
}
int file_lock(sqlite3_file* f, int level) { return real_methods(f).xLock(real(f), level); }
int file_unlock(sqlite3_file* f, int level) { return real_methods(f).xUnlock(real(f), level); }
int check_reserved(sqlite3_file* f, int* out) { return real_methods(f).xCheckReservedLock(real(f), out); }
int file_control(sqlite3_file* f, int op, void* arg) {
  int rc = flush_wal(f);
  return rc != SQLITE_OK ? rc : real_methods(f).xFileControl(real(f), op, arg);
}
int sector_size(sqlite3_file* f) { return real_methods(f).xSectorSize(real(f)); }
int device_characteristics(sqlite3_file* f) { return real_methods(f).xDeviceCharacteristics(real(f)); }
int shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real_methods(f).xShmMap(real(f), region, size, extend, out);
}
void shm_barrier(sqlite3_file* f) { real_methods(f).xShmBarrier(real(f)); }
int fetch(sqlite3_file* f, sqlite3_int64 o, int n, void** out) { return real_methods(f).xFetch(real(f), o, n, out); }
int unfetch(sqlite3_file* f, sqlite3_int64 o, void* p) { return real_methods(f).xUnfetch(real(f), o, p); }

int open_file(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  File* file = new (f) File();
  file->base.pMethods = nullptr;
  file->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kRealOffset);
  file->real->pMethods = nullptr;
  int rc = g_unix->xOpen(g_unix, name, file->real, flags, out_flags);
  if (rc == SQLITE_OK && file->real->pMethods && file->real->pMethods->iVersion < 3) {
    file->real->pMethods->xClose(file->real);  // not the unix VFS this file was written for
    rc = SQLITE_CANTOPEN;
  }
  if (rc != SQLITE_OK || !file->real->pMethods) {
    file->~File();
    f->pMethods = nullptr;
    return rc == SQLITE_OK ? SQLITE_CANTOPEN : rc;
  }
  if ((flags & SQLITE_OPEN_MAIN_DB) && name) file->path = name;
  file->wal = (flags & SQLITE_OPEN_WAL) != 0;
  f->pMethods = &g_methods;
  return SQLITE_OK;
}

// ---- forwarded VFS methods (the unix VFS keeps its own state in its sqlite3_vfs) ----
int vfs_delete(sqlite3_vfs*, const char* name, int sync_dir) { return g_unix->xDelete(g_unix, name, sync_dir); }
int vfs_access(sqlite3_vfs*, const char* name, int flags, int* out) { return g_unix->xAccess(g_unix, name, flags, out); }
int vfs_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_unix->xFullPathname(g_unix, name, n, out);
}
void* vfs_dl_open(sqlite3_vfs*, const char* name) { return g_unix->xDlOpen(g_unix, name); }
void vfs_dl_error(sqlite3_vfs*, int n, char* out) { g_unix->xDlError(g_unix, n, out); }
void (*vfs_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return g_unix->xDlSym(g_unix, handle, symbol);
}
void vfs_dl_close(sqlite3_vfs*, void* handle) { g_unix->xDlClose(g_unix, handle); }
int vfs_randomness(sqlite3_vfs*, int n, char* out) { return g_unix->xRandomness(g_unix, n, out); }
int vfs_sleep(sqlite3_vfs*, int micros) { return g_unix->xSleep(g_unix, micros); }
int vfs_current_time(sqlite3_vfs*, double* out) { return g_unix->xCurrentTime(g_unix, out); }
int vfs_last_error(sqlite3_vfs*, int n, char* out) { return g_unix->xGetLastError(g_unix, n, out); }
int vfs_current_time_ms(sqlite3_vfs*, sqlite3_int64* out) { return g_unix->xCurrentTimeInt64(g_unix, out); }

void register_vfs() {
  g_unix = sqlite3_vfs_find("unix");
  if (!g_unix || g_unix->iVersion < 2) throw std::runtime_error("SQLite has no usable unix VFS");

  g_methods = sqlite3_io_methods{};
  g_methods.iVersion = 3;
  g_methods.xClose = close_file;
  g_methods.xRead = file_read;
  g_methods.xWrite = file_write;
  g_methods.xTruncate = file_truncate;
  g_methods.xSync = file_sync;
  g_methods.xFileSize = file_size;
  g_methods.xLock = file_lock;
  g_methods.xUnlock = file_unlock;
  g_methods.xCheckReservedLock = check_reserved;
  g_methods.xFileControl = file_control;
  g_methods.xSectorSize = sector_size;
  g_methods.xDeviceCharacteristics = device_characteristics;
  g_methods.xShmMap = shm_map;
  g_methods.xShmLock = shm_lock;
  g_methods.xShmBarrier = shm_barrier;
  g_methods.xShmUnmap = shm_unmap;
  g_methods.xFetch = fetch;
  g_methods.xUnfetch = unfetch;

  g_vfs = sqlite3_vfs{};
  g_vfs.iVersion = 2;
  g_vfs.szOsFile = static_cast<int>(kRealOffset) + g_unix->szOsFile;
  g_vfs.mxPathname = g_unix->mxPathname;
  g_vfs.zName = "nimbus-in-process";
  g_vfs.xOpen = open_file;
  g_vfs.xDelete = vfs_delete;
  g_vfs.xAccess = vfs_access;
  g_vfs.xFullPathname = vfs_full_pathname;
  g_vfs.xDlOpen = vfs_dl_open;
  g_vfs.xDlError = vfs_dl_error;
  g_vfs.xDlSym = vfs_dl_sym;
  g_vfs.xDlClose = vfs_dl_close;
  g_vfs.xRandomness = vfs_randomness;
  g_vfs.xSleep = vfs_sleep;
  g_vfs.xCurrentTime = vfs_current_time;
  g_vfs.xGetLastError = vfs_last_error;
  g_vfs.xCurrentTimeInt64 = vfs_current_time_ms;
  int rc = sqlite3_vfs_register(&g_vfs, 0);
  if (rc != SQLITE_OK) throw std::runtime_error("cannot register the in-process SQLite VFS");
}

}  // namespace

const char* in_process_vfs() {
  static std::once_flag once;
  std::call_once(once, register_vfs);
  return g_vfs.zName;
}

}  // namespace nimbus
