// Tests for BlobStore (storage/blob_store.h): write/commit/read round trips, segmented reads,
// cleanup of uncommitted and crashed writers, removal, wipe, and ids that could escape the dir.
#include <doctest/doctest.h>

#include "tests/unit/temp_dir.h"
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <fcntl.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/blob_store.h"

using namespace nimbus;

namespace {

using nimbus::testing::TempDir;

// Bytes that differ at every position, so a misplaced offset shows.
std::string pattern_bytes(size_t size, unsigned seed = 1) {
  std::string bytes(size, '\0');
  uint32_t x = seed;
  for (size_t i = 0; i < size; ++i) {
    x = x * 1103515245u + 12345u;
    bytes[i] = static_cast<char>(x >> 16);
  }
  return bytes;
}

std::string put(BlobStore& store, const std::string& bytes, size_t piece = 1000) {
  auto writer = store.create();
  for (size_t at = 0; at < bytes.size(); at += piece) {
    writer->write(std::string_view(bytes).substr(at, piece));
  }
  CHECK(writer->size() == bytes.size());
  return writer->commit();
}

std::string drain(BodySource& source, size_t chunk) {
  std::string out;
  std::vector<char> buffer(chunk);
  for (;;) {
    size_t n = source.read(buffer.data(), buffer.size());
    if (n == 0) return out;
    out.append(buffer.data(), n);
  }
}

size_t count_files(const std::string& dir) {
  size_t n = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("blobs of 0 bytes, 1 byte and 3 MiB round-trip through write, commit and read_all") {
  TempDir dir;
  for (bool fsync : {false, true}) {
    BlobStore store(dir.path, fsync);
    for (size_t size : {size_t{0}, size_t{1}, size_t{3} << 20}) {
      std::string bytes = pattern_bytes(size);
      std::string id = put(store, bytes, 70000);
      CHECK(id.size() == 32);
      CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
      CHECK(store.exists(id));
      CHECK(store.size(id) == size);
      CHECK(store.read_all(id) == bytes);
      CHECK(std::filesystem::exists(dir.path + "/" + id.substr(0, 2) + "/" + id));
    }
  }
}

TEST_CASE("a blob written in one large piece and many tiny ones reads back the same") {
  TempDir dir;
  BlobStore store(dir.path, false);
  std::string bytes = pattern_bytes(600000, 7);
  CHECK(store.read_all(put(store, bytes, bytes.size())) == bytes);
  CHECK(store.read_all(put(store, bytes, 3)) == bytes);
}

// How many of a file's pages sit in the page cache (mincore on a mapping of it).
size_t resident_pages(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  size_t size = static_cast<size_t>(::lseek(fd, 0, SEEK_END));
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  REQUIRE(map != MAP_FAILED);
  size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident((size + page - 1) / page);
  REQUIRE(::mincore(map, size, resident.data()) == 0);
  ::munmap(map, size);
  size_t count = 0;
  for (unsigned char flag : resident) count += flag & 1;
  return count;
}

TEST_CASE("large blobs of odd sizes round-trip whole and in ranges that straddle blocks") {
  // Past 8 MiB the writer and the reader use direct I/O with 4 KiB-aligned blocks and 1-4 MiB
  // buffers; these sizes, pieces and offsets all fall off those boundaries.
  TempDir dir;
  BlobStore store(dir.path, true);
  std::string bytes = pattern_bytes((9u << 20) + 12345, 11);
  for (size_t piece : {size_t{1000003}, size_t{8 << 20}, size_t{4095}}) {
    std::string id = put(store, bytes, piece);
    CHECK(store.size(id) == bytes.size());
    CHECK(store.read_all(id) == bytes);
    auto whole = store.open(id, 0, bytes.size());
    CHECK(drain(*whole, 1 << 20) == bytes);
    uint64_t from = (4u << 20) - 7, length = (5u << 20) + 9;  // crosses read windows
    auto range = store.open(id, from, length);
    CHECK(drain(*range, 65537) == bytes.substr(from, length));
    auto tail = store.open(std::vector<BlobStore::Segment>{{id, 1, bytes.size() - 1}, {id, 0, 1}});
    CHECK(drain(*tail, 3 << 20) == bytes.substr(1) + bytes.substr(0, 1));
  }
}

TEST_CASE("a large blob goes to the disk past the page cache, a small one stays cached") {
  TempDir dir;
  struct statfs fs;
  REQUIRE(::statfs(dir.path.c_str(), &fs) == 0);
  if (fs.f_type == 0x01021994) {  // TMPFS_MAGIC: its files are page-cache pages by nature
    MESSAGE("skipped: the temporary directory is on tmpfs");
    return;
  }
  BlobStore store(dir.path, false);
  std::string large = pattern_bytes(32u << 20, 5);
  std::string large_id = put(store, large, 1 << 20);
  std::string small_id = put(store, pattern_bytes(1 << 20, 6), 1 << 16);
  size_t large_pages = (large.size() + 4095) / 4096;
  // Only the first 8 MiB went through the cache.
  CHECK(resident_pages(dir.path + "/" + large_id.substr(0, 2) + "/" + large_id) <=
        large_pages / 4 + 1);
  CHECK(resident_pages(dir.path + "/" + small_id.substr(0, 2) + "/" + small_id) == 256);
  auto source = store.open(large_id, 0, large.size());
  CHECK(drain(*source, 1 << 20) == large);
}

TEST_CASE("each commit gets a new id") {
  TempDir dir;
  BlobStore store(dir.path, false);
  CHECK(put(store, "same") != put(store, "same"));
}

TEST_CASE("open streams several segments with offsets in order") {
  TempDir dir;
  BlobStore store(dir.path, false);
  std::string a = pattern_bytes(300000, 1);
  std::string b = pattern_bytes(5, 2);
  std::string c = pattern_bytes(100000, 3);
  std::string ida = put(store, a, 65536);
  std::string idb = put(store, b);
  std::string idc = put(store, c, 65536);
  std::vector<BlobStore::Segment> segments = {
      {ida, 1000, 200000}, {idb, 0, 5}, {idc, 0, 0}, {idc, 99999, 1}, {ida, 0, 10}};
  std::string expected = a.substr(1000, 200000) + b + c.substr(99999, 1) + a.substr(0, 10);
  for (size_t chunk : {size_t{1}, size_t{4096}, size_t{1} << 20}) {
    auto source = store.open(segments);
    CHECK(drain(*source, chunk) == expected);
  }
  auto single = store.open(idc, 10, 20);
  CHECK(drain(*single, 7) == c.substr(10, 20));
}

TEST_CASE("open rejects a missing blob and a range past its end") {
  TempDir dir;
  BlobStore store(dir.path, false);
  std::string id = put(store, "0123456789");
  CHECK_THROWS_AS(store.open("0123456789abcdef0123456789abcdef", 0, 1), std::runtime_error);
  CHECK_THROWS_AS(store.open(id, 5, 6), std::runtime_error);
  CHECK_THROWS_AS(store.open(id, 11, 0), std::runtime_error);
  CHECK_NOTHROW(store.open(id, 10, 0));
  CHECK_THROWS_AS(store.read_all("0123456789abcdef0123456789abcdef"), std::runtime_error);
  CHECK_THROWS_AS(store.size("0123456789abcdef0123456789abcdef"), std::runtime_error);
}

TEST_CASE("a writer destroyed before commit leaves no file behind") {
  TempDir dir;
  BlobStore store(dir.path, true);
  {
    auto writer = store.create();
    writer->write(pattern_bytes(500000));
    CHECK(count_files(dir.path) == 1);  // the temporary file
  }
  CHECK(count_files(dir.path) == 0);
}

TEST_CASE("leftover .part files from a crash are deleted when the store opens") {
  TempDir dir;
  std::string id;
  {
    BlobStore store(dir.path, false);
    id = put(store, "kept");
  }
  std::ofstream(dir.path + "/tmp/0123456789abcdef.part") << "half an upload";
  CHECK(count_files(dir.path) == 2);
  BlobStore store(dir.path, false);
  CHECK_FALSE(std::filesystem::exists(dir.path + "/tmp/0123456789abcdef.part"));
  CHECK(store.read_all(id) == "kept");
}

TEST_CASE("remove deletes a blob and ignores one that is already gone") {
  TempDir dir;
  BlobStore store(dir.path, false);
  std::string id = put(store, "bytes");
  store.remove(id);
  CHECK_FALSE(store.exists(id));
  CHECK_NOTHROW(store.remove(id));
}

TEST_CASE("wipe removes every blob and the store keeps working") {
  TempDir dir;
  BlobStore store(dir.path, false);
  std::string a = put(store, "a");
  std::string b = put(store, "b");
  store.wipe();
  CHECK_FALSE(store.exists(a));
  CHECK_FALSE(store.exists(b));
  CHECK(count_files(dir.path) == 0);
  std::string c = put(store, "c");
  CHECK(store.read_all(c) == "c");
}

TEST_CASE("blob subdirectories removed behind the store's back are made again on commit") {
  // The store remembers which subdirectories exist; a rename that finds one gone makes it anew.
  TempDir dir;
  BlobStore store(dir.path, false);
  std::vector<std::string> before;
  for (int i = 0; i < 40; ++i) before.push_back(put(store, "x"));
  for (const auto& entry : std::filesystem::directory_iterator(dir.path))
    if (entry.path().filename() != "tmp") std::filesystem::remove_all(entry.path());
  for (int i = 0; i < 40; ++i) {
    std::string id = put(store, "y" + std::to_string(i));
    CHECK(store.read_all(id) == "y" + std::to_string(i));
  }
  CHECK_FALSE(store.exists(before[0]));
}

TEST_CASE("crafted ids can never name a path outside the store") {
  TempDir dir;
  BlobStore store(dir.path + "/blobs", false);
  // A file the traversal would reach if the id were used as a path.
  std::ofstream(dir.path + "/secret") << "secret";
  for (const std::string& id :
       {std::string("../../etc/passwd"), std::string("../secret"), std::string(""),
        std::string("0123456789ABCDEF0123456789ABCDEF"), std::string("0123456789abcdef"),
        std::string("..") + std::string(30, 'a'), std::string("0123456789abcdef0123456789abcde/"),
        std::string("0123456789abcdef0123456789abcdef0")}) {
    CAPTURE(id);
    CHECK_FALSE(store.exists(id));
    CHECK_THROWS_AS(store.read_all(id), std::invalid_argument);
    CHECK_THROWS_AS(store.size(id), std::invalid_argument);
    CHECK_THROWS_AS(store.open(id, 0, 0), std::invalid_argument);
    CHECK_THROWS_AS(store.remove(id), std::invalid_argument);
  }
  CHECK(std::filesystem::exists(dir.path + "/secret"));
}

TEST_CASE("a committed writer cannot be written to again") {
  TempDir dir;
  BlobStore store(dir.path, false);
  auto writer = store.create();
  writer->write("x");
  std::string id = writer->commit();
  CHECK_THROWS_AS(writer->write("y"), std::logic_error);
  CHECK_THROWS_AS(writer->commit(), std::logic_error);
  writer.reset();
  CHECK(store.read_all(id) == "x");  // destroying a committed writer keeps its blob
}
