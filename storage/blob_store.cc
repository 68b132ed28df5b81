// BlobStore (storage/blob_store.h): object bytes as files named by random ids. FileWriter
// buffers a blob into <dir>/tmp/<id>.part and commit() flushes, optionally fdatasyncs, and
// renames it to <dir>/<id[0:2]>/<id> (fsyncing the directory when asked; each subdirectory is
// made once, then remembered); SegmentSource streams byte ranges of one or more blobs with
// pread from descriptors opened up front by open().
// Large blobs bypass the page cache (O_DIRECT) once they pass kDirectFrom bytes, as MinIO does:
// a 1 GiB upload then neither evicts the hot small objects and the database pages nor pays the
// kernel's copy into fresh cache pages (most of a large PUT's system time), and reading it back
// streams from the disk. File systems without direct I/O fall back to ordinary writes and reads.
// Ids are checked to be 32 lower-case hex characters before any path is formed.
#include "storage/blob_store.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "common/threads.h"

namespace nimbus {

namespace {

constexpr size_t kWriteBuffer = 256 * 1024;  // bytes gathered before one write(2)
// Direct I/O: offsets, lengths and buffer addresses are multiples of kDirectAlign (the largest
// logical block size in use); blobs and segments of kDirectFrom bytes or more use it.
constexpr size_t kDirectAlign = 4096;
constexpr uint64_t kDirectFrom = 8 * 1024 * 1024;
constexpr size_t kDirectBuffer = 1024 * 1024;       // one direct write
constexpr size_t kDirectReadBuffer = 4 * 1024 * 1024;  // one direct read

struct FreeAligned {
  void operator()(char* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<char, FreeAligned>;

AlignedBuffer make_aligned_buffer(size_t size) {
  void* p = std::aligned_alloc(kDirectAlign, size);
  if (!p) throw std::bad_alloc();
  return AlignedBuffer(static_cast<char*>(p));
}

// Sets or clears O_DIRECT on an open file; false when the file system refuses it.
bool set_direct(int fd, bool on) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return false;
  flags = on ? (flags | O_DIRECT) : (flags & ~O_DIRECT);
  return ::fcntl(fd, F_SETFL, flags) == 0;
}

[[noreturn]] void throw_errno(const std::string& what, const std::string& path, int error) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(error));
}

// 32 lower-case hex characters from the kernel's random source.
std::string random_id() {
  unsigned char bytes[16];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("getrandom failed: ") + std::strerror(errno));
    }
    got += static_cast<size_t>(n);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (size_t i = 0; i < sizeof bytes; ++i) {
    id[2 * i] = kHex[bytes[i] >> 4];
    id[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return id;
}

bool valid_id(const std::string& id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char ch) {
           return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
         });
}

void fsync_directory(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    throw_errno("cannot open directory", path, error);
  }
  int rc = ::fsync(fd);
  int error = errno;
  ::close(fd);
  if (rc != 0) throw_errno("cannot fsync directory", path, error);
}

// Reads exactly `size` bytes at `offset` unless the file ends first; returns the count read.
size_t pread_fully(int fd, char* buffer, size_t size, uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, buffer + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      int error = errno;
      if (error == EINTR) continue;
      throw_errno("cannot read blob", path, error);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

}  // namespace

// ---- writing ---------------------------------------------------------------------------------

class BlobStore::FileWriter : public BlobStore::Writer {
 public:
  // The temporary file is named after the id the blob will have: one random draw per blob.
  explicit FileWriter(const BlobStore& store)
      : store_(store), id_(random_id()), temp_path_(store.dir_ + "/tmp/" + id_ + ".part") {
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      int error = errno;
      throw_errno("cannot create", temp_path_, error);
    }
    buffer_.reserve(kWriteBuffer);
  }

  ~FileWriter() override {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(temp_path_.c_str());
  }

  void write(std::string_view bytes) override {
    check_usable();
    if (!direct_ && direct_allowed_ && size_ + bytes.size() >= kDirectFrom) {
      // Bring the file to a block boundary with an ordinary write, then bypass the cache.
      flush();
      size_t pad = std::min((kDirectAlign - size_ % kDirectAlign) % kDirectAlign, bytes.size());
      write_fully(bytes.substr(0, pad));
      size_ += pad;
      bytes.remove_prefix(pad);
      if (size_ % kDirectAlign == 0) start_direct();
    }
    if (direct_ || aligned_used_ > 0) {  // bytes gathered for a direct write go out first
      append_direct(bytes);
    } else if (buffer_.size() + bytes.size() <= kWriteBuffer) {
      buffer_.append(bytes);
    } else {
      flush();
      if (bytes.size() >= kWriteBuffer) {
        write_fully(bytes);  // large pieces go straight to the file
      } else {
        buffer_.append(bytes);
      }
    }
    size_ += bytes.size();
  }

  uint64_t size() const override { return size_; }

  std::string commit() override {
    check_usable();
    if (direct_ || aligned_used_ > 0) finish_direct();
    flush();
    std::optional<BlockingScope> syncing;  // lets the handler pool run another request meanwhile
    if (store_.fsync_) syncing.emplace();
    if (store_.fsync_ && ::fdatasync(fd_) != 0) {
      int error = errno;
      fail("cannot fdatasync", error);
    }
    int rc = ::close(fd_);
    int close_error = errno;
    fd_ = -1;
    if (rc != 0) fail("cannot close", close_error);

    const std::string& id = id_;
    std::string subdir = store_.dir_ + "/" + id.substr(0, 2);
    std::string final_path = store_.path_of(id);
    std::atomic<bool>& known = store_.subdir_known_[std::stoul(id.substr(0, 2), nullptr, 16)];
    bool created = false;
    for (int attempt = 0;; ++attempt) {
      // mkdir only until the subdirectory is known to exist (or a rename says it is gone).
      if (attempt > 0 || !known.load(std::memory_order_acquire)) {
        if (::mkdir(subdir.c_str(), 0755) == 0) {
          created = true;
        } else if (int error = errno; error != EEXIST) {
          fail("cannot create directory " + subdir + " for", error);
        }
        known.store(true, std::memory_order_release);
      }
      if (::rename(temp_path_.c_str(), final_path.c_str()) == 0) break;
      // ENOENT: a concurrent wipe() removed the subdirectory between mkdir and rename.
      int error = errno;
      if (error != ENOENT || attempt == 2) fail("cannot rename into place", error);
    }
    committed_ = true;
    if (store_.fsync_) {
      fsync_directory(subdir);
      if (created) fsync_directory(store_.dir_);
    }
    return id;
  }

 private:
  void check_usable() const {
    if (committed_) throw std::logic_error("BlobStore::Writer used after commit()");
    if (broken_) throw std::runtime_error("BlobStore::Writer failed earlier: " + temp_path_);
  }

  [[noreturn]] void fail(const std::string& what, int error) {
    broken_ = true;
    throw_errno(what, temp_path_, error);
  }

  void flush() {
    if (buffer_.empty()) return;
    write_fully(buffer_);
    buffer_.clear();
  }

  void write_fully(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        int error = errno;
        if (error == EINTR) continue;
        if (error == EINVAL && direct_) {
          stop_direct();  // the file system takes no direct write after all
          continue;
        }
        fail("cannot write", error);
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  // ---- direct I/O (blobs past kDirectFrom bytes; the file offset is block-aligned) ----
  void start_direct() {
    if (!set_direct(fd_, true)) {
      direct_allowed_ = false;
      return;
    }
    if (!aligned_) aligned_ = make_aligned_buffer(kDirectBuffer);
    direct_ = true;
  }

  void stop_direct() {
    set_direct(fd_, false);
    direct_ = false;
    direct_allowed_ = false;
  }

  // Gathers bytes in the aligned buffer and writes it out each time it fills. When a direct
  // write is refused midway, direct_ turns false with bytes still gathered: they keep going
  // through this buffer (now with ordinary writes) until it is empty, so the order holds.
  void append_direct(std::string_view bytes) {
    while (!bytes.empty()) {
      size_t take = std::min(kDirectBuffer - aligned_used_, bytes.size());
      std::memcpy(aligned_.get() + aligned_used_, bytes.data(), take);
      aligned_used_ += take;
      bytes.remove_prefix(take);
      if (aligned_used_ == kDirectBuffer) {
        aligned_used_ = 0;
        write_fully(std::string_view(aligned_.get(), kDirectBuffer));
      }
    }
  }

  // The whole blocks still gathered go out directly, the last partial block through the cache.
  void finish_direct() {
    size_t whole = aligned_used_ - aligned_used_ % kDirectAlign;
    write_fully(std::string_view(aligned_.get(), whole));
    if (direct_) stop_direct();
    write_fully(std::string_view(aligned_.get() + whole, aligned_used_ - whole));
    aligned_used_ = 0;
  }

  const BlobStore& store_;
  std::string id_;
  std::string temp_path_;
  int fd_ = -1;
  std::string buffer_;
  uint64_t size_ = 0;
  bool direct_allowed_ = true;  // false once the file system refused direct I/O
  bool direct_ = false;         // O_DIRECT is on; bytes gather in aligned_
  AlignedBuffer aligned_;
  size_t aligned_used_ = 0;
  bool committed_ = false;
  bool broken_ = false;
};

BlobStore::BlobStore(std::string dir, bool fsync) : dir_(std::move(dir)), fsync_(fsync) {
  namespace fs = std::filesystem;
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  fs::create_directories(dir_ + "/tmp");
  // Temporary files left by a crash belong to no blob: nothing can ever commit them.
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_ + "/tmp")) {
    if (entry.path().extension() == ".part") {
      std::error_code ignored;
      fs::remove(entry.path(), ignored);
    }
  }
}

std::unique_ptr<BlobStore::Writer> BlobStore::create() {
  return std::make_unique<FileWriter>(*this);
}

// ---- reading ---------------------------------------------------------------------------------

class BlobStore::SegmentSource : public BodySource {
 public:
  struct Part {
    std::string path;
    int fd;  // opened by BlobStore::open(); owned by the source
    uint64_t offset;
    uint64_t length;
    bool direct = false;  // O_DIRECT is on: reads go through the aligned window
  };
  SegmentSource() = default;
  ~SegmentSource() override {
    for (Part& part : parts_)
      if (part.fd >= 0) ::close(part.fd);
  }
  void add(Part part) { parts_.push_back(std::move(part)); }
  void set_last_direct(bool on) { parts_.back().direct = on; }

  size_t read(char* buffer, size_t size) override {
    size_t filled = 0;
    while (filled < size && index_ < parts_.size()) {
      Part& part = parts_[index_];
      if (done_ == part.length) {
        ::close(part.fd);  // done with it: release the descriptor early
        part.fd = -1;
        ++index_;
        done_ = 0;
        window_length_ = 0;
        continue;
      }
      size_t want = static_cast<size_t>(std::min<uint64_t>(size - filled, part.length - done_));
      size_t got = part.direct ? read_direct(part, buffer + filled, want)
                               : pread_fully(part.fd, buffer + filled, want,
                                             part.offset + done_, part.path);
      // A direct read may stop at its window's end; only nothing at all means the file ended.
      if (got == 0 || (!part.direct && got < want))
        throw std::runtime_error("blob shorter than expected: " + part.path);
      filled += got;
      done_ += got;
    }
    return filled;
  }

 private:
  // Copies up to `want` bytes at the part's read position out of the aligned window, refilling
  // the window with one aligned direct read when the position is outside it. Returns fewer
  // bytes only when the file ends.
  size_t read_direct(Part& part, char* out, size_t want) {
    uint64_t position = part.offset + done_;
    if (position < window_offset_ || position >= window_offset_ + window_length_) {
      if (!window_) window_ = make_aligned_buffer(kDirectReadBuffer);
      window_offset_ = position - position % kDirectAlign;
      window_length_ = 0;
      while (window_length_ < kDirectReadBuffer) {
        ssize_t n = ::pread(part.fd, window_.get() + window_length_,
                            kDirectReadBuffer - window_length_,
                            static_cast<off_t>(window_offset_ + window_length_));
        if (n < 0) {
          int error = errno;
          if (error == EINTR) continue;
          if (error != EINVAL) throw_errno("cannot read blob", part.path, error);
          set_direct(part.fd, false);  // the file system takes no direct read after all
          part.direct = false;
          window_length_ = 0;
          return pread_fully(part.fd, out, want, position, part.path);
        }
        window_length_ += static_cast<size_t>(n);
        if (n == 0 || n % kDirectAlign != 0) break;  // the end of the file
      }
      if (position >= window_offset_ + window_length_) return 0;
    }
    size_t take = static_cast<size_t>(
        std::min<uint64_t>(want, window_offset_ + window_length_ - position));
    std::memcpy(out, window_.get() + (position - window_offset_), take);
    return take;
  }

  std::vector<Part> parts_;
  size_t index_ = 0;   // the part being read
  uint64_t done_ = 0;  // bytes of parts_[index_] already returned
  AlignedBuffer window_;        // direct reads: the file bytes at window_offset_
  uint64_t window_offset_ = 0;  // in the current part's file
  size_t window_length_ = 0;
};

std::unique_ptr<BodySource> BlobStore::open(std::vector<Segment> segments) const {
  // Every file is opened now: a descriptor keeps an unlinked blob readable, so a concurrent
  // overwrite that removes a blob after this returns cannot break the stream.
  auto source = std::make_unique<SegmentSource>();
  for (Segment& segment : segments) {
    std::string path = path_of(segment.id);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      int error = errno;
      if (error == ENOENT) throw std::runtime_error("no such blob: " + segment.id);
      throw_errno("cannot open blob", path, error);
    }
    source->add({path, fd, segment.offset, segment.length});  // owns fd from here
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int error = errno;
      throw_errno("cannot stat blob", path, error);
    }
    uint64_t file_size = static_cast<uint64_t>(st.st_size);
    if (segment.offset > file_size || segment.length > file_size - segment.offset) {
      throw std::runtime_error("blob " + segment.id + " has " + std::to_string(file_size) +
                               " bytes, fewer than the range asked for");
    }
    if (segment.length >= kDirectFrom) source->set_last_direct(set_direct(fd, true));
  }
  return source;
}

std::string BlobStore::read_all(const std::string& id) const {
  std::string path = path_of(id);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    if (error == ENOENT) throw std::runtime_error("no such blob: " + id);
    throw_errno("cannot open blob", path, error);
  }
  std::string bytes;
  try {
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int error = errno;
      throw_errno("cannot stat blob", path, error);
    }
    bytes.resize(static_cast<size_t>(st.st_size));
    bytes.resize(pread_fully(fd, bytes.data(), bytes.size(), 0, path));
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return bytes;
}

uint64_t BlobStore::size(const std::string& id) const {
  std::string path = path_of(id);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int error = errno;
    if (error == ENOENT) throw std::runtime_error("no such blob: " + id);
    throw_errno("cannot stat blob", path, error);
  }
  return static_cast<uint64_t>(st.st_size);
}

bool BlobStore::exists(const std::string& id) const {
  if (!valid_id(id)) return false;
  struct stat st;
  return ::stat(path_of(id).c_str(), &st) == 0;
}

void BlobStore::remove(const std::string& id) {
  std::string path = path_of(id);
  if (::unlink(path.c_str()) != 0) {
    int error = errno;
    if (error != ENOENT) throw_errno("cannot remove blob", path, error);
  }
}

void BlobStore::wipe() {
  namespace fs = std::filesystem;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_)) {
    std::string name = entry.path().filename().string();
    bool blob_dir = name.size() == 2 && valid_id(name + std::string(30, '0'));
    if (blob_dir && entry.is_directory()) {
      subdir_known_[std::stoul(name, nullptr, 16)].store(false, std::memory_order_release);
      fs::remove_all(entry.path());
    }
  }
}

std::string BlobStore::path_of(const std::string& id) const {
  if (!valid_id(id)) throw std::invalid_argument("not a blob id: '" + id + "'");
  return dir_ + "/" + id.substr(0, 2) + "/" + id;
}

}  // namespace nimbus
