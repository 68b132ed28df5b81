// A SQLite VFS for databases that one process owns. It is the default (unix) VFS except for two
// things that cost system calls, at ~3 us each in this project's VMs:
// - the WAL-index locks (xShmLock) are kept in this process's memory instead of costing a POSIX
//   fcntl() lock and unlock on the -shm file for every read and write transaction (two system
//   calls per GetItem, ~15% of its server CPU);
// - the frames of a transaction go to the -wal file in one write when its commit frame is
//   complete, instead of two writes per page (a header, then the page).
//
// Sound only while no other process uses the database at the same time: Database holds an
// exclusive flock() on "<database>.lock" while it is open, so a second nimbus refuses to start
// on the same data directory (an ephemeral database lives in a private 0700 directory). Other SQLite programs must not open the live database either
// (docs/architecture.md); they would not see nimbus's WAL-index locks.
#pragma once

namespace nimbus {

// Registers the VFS on first use (thread-safe) and returns its name, for sqlite3_open_v2().
const char* in_process_vfs();

}  // namespace nimbus
