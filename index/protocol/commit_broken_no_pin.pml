/*
 * commit_broken_no_pin.pml — commit.pml with BROKEN_NO_PIN defined; spin must find
 * a violation (see the BROKEN_NO_PIN definition in commit.pml for what breaks).
 */
#define BROKEN_NO_PIN
#include "commit.pml"
