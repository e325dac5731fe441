/*
 * commit_broken_no_cas.pml — commit.pml with BROKEN_NO_CAS defined; spin must find
 * a violation (see the BROKEN_NO_CAS definition in commit.pml for what breaks).
 */
#define BROKEN_NO_CAS
#include "commit.pml"
