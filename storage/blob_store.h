// BlobStore: object bytes on disk, outside SQLite. A blob is written to a temporary file,
// flushed (fsync when the durability asks for it), then renamed into place; only then does the
// caller commit the metadata that names it. Blob ids are random hex, never derived from a user's
// key, so a key like "../../etc/passwd" stays a key. Layout: <dir>/<id[0:2]>/<id>.
//
// Ids: 32 lower-case hex characters (128 random bits). Every method checks an id before it
// forms a path and throws std::invalid_argument for anything else (exists() returns false), so
// no id can name a file outside the directory. Missing blobs throw std::runtime_error (except in
// exists() and remove()); I/O failures throw std::runtime_error naming the file and errno.
// Temporary files live in <dir>/tmp/*.part; the constructor deletes those a crash left behind,
// so one directory must not be shared by two live BlobStores.
//
// Thread-safety: all methods may be called concurrently; a Writer belongs to one thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/http.h"

namespace nimbus {

class BlobStore {
 public:
  // dir is created if missing. fsync: flush each blob and its directory before commit() returns.
  BlobStore(std::string dir, bool fsync);

  class Writer {
   public:
    virtual ~Writer() = default;  // a writer destroyed before commit() removes its temp file
    virtual void write(std::string_view bytes) = 0;
    virtual uint64_t size() const = 0;
    // Makes the blob permanent and returns its id.
    virtual std::string commit() = 0;
  };
  std::unique_ptr<Writer> create();

  // A byte range of one blob.
  struct Segment {
    std::string id;
    uint64_t offset = 0;
    uint64_t length = 0;
  };
  // Streams the segments one after another (a multipart object is its parts' blobs; nothing is
  // copied). Throws std::runtime_error when a blob is missing or shorter than a segment asks.
  // Every segment's file is opened before open() returns and each descriptor is held until its
  // segment is read, so removing a blob afterwards (an overwrite) does not disturb the stream.
  std::unique_ptr<BodySource> open(std::vector<Segment> segments) const;
  std::unique_ptr<BodySource> open(const std::string& id, uint64_t offset, uint64_t length) const {
    return open(std::vector<Segment>{{id, offset, length}});
  }
  std::string read_all(const std::string& id) const;  // for small blobs and tests
  uint64_t size(const std::string& id) const;
  bool exists(const std::string& id) const;
  void remove(const std::string& id);  // missing ids are ignored
  void wipe();                         // removes every blob (for /_nimbus/reset)
  const std::string& dir() const { return dir_; }

 private:
  class FileWriter;
  class SegmentSource;
  // <dir>/<id[0:2]>/<id>, after checking the id's form (std::invalid_argument otherwise).
  std::string path_of(const std::string& id) const;
  std::string dir_;
  bool fsync_;
  // Which <id[0:2]> subdirectories are known to exist, so a commit skips mkdir for them.
  mutable std::array<std::atomic<bool>, 256> subdir_known_{};
};

}  // namespace nimbus
