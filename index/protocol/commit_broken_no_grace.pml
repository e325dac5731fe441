/*
 * commit_broken_no_grace.pml — commit.pml with BROKEN_NO_GRACE defined; spin must find
 * a violation (see the BROKEN_NO_GRACE definition in commit.pml for what breaks).
 */
#define BROKEN_NO_GRACE
#include "commit.pml"
