/*
 * holdfs_tiny_core.c - the holdfs core built with HFS_TINY_NODES for
 * build/host/test_holdfs_tiny (the Makefile compiles each source once, so
 * a second configuration needs its own file).  So it includes the core's
 * private sources, on purpose.
 */
#define HFS_TINY_NODES
#include "../../fs/holdfs/alloc.c"
#include "../../fs/holdfs/attr.c"
#include "../../fs/holdfs/dir.c"
#include "../../fs/holdfs/extent.c"
#include "../../fs/holdfs/falloc.c"
#include "../../fs/holdfs/file.c"
#include "../../fs/holdfs/fsck.c"
#include "../../fs/holdfs/fsck_lost.c"
#include "../../fs/holdfs/inode.c"
#include "../../fs/holdfs/journal.c"
#include "../../fs/holdfs/namei.c"
#include "../../fs/holdfs/orphan.c"
#include "../../fs/holdfs/super.c"
