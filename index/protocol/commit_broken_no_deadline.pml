/*
 * commit_broken_no_deadline.pml — commit.pml with BROKEN_NO_DEADLINE defined; spin must find
 * a violation (see the BROKEN_NO_DEADLINE definition in commit.pml for what breaks).
 */
#define BROKEN_NO_DEADLINE
#include "commit.pml"
