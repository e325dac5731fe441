/*
 * commit.pml — a Promela model of vectorbucket's commit protocol
 * (DESIGN.md §2–§5), checked with spin 6.5. See docs/durability.md.
 *
 *   spin -a commit.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan
 *
 * What is modelled
 *   - The object store (the objectstore.Store contract) as sets of objects:
 *     WAL objects, neighborhood objects and manifest generations. Every put
 *     and delete is atomic (the contract guarantees it) and durable: a
 *     process crash never loses an object that was put.
 *   - 2 writers. Each puts one WAL object holding its write, lists and gets
 *     the newest manifest g, and commits generation g+1 = g + its WAL object
 *     with a create-only put; on ErrPreconditionFailed it re-reads and
 *     retries. The write is acknowledged only when its create-only put wins.
 *   - 1 indexer. It gets the newest manifest, gets every object it lists,
 *     folds the WAL objects and the old neighborhoods into one new
 *     neighborhood object or splits them into two, and commits g+1 (create
 *     only) listing the new neighborhoods and no WAL objects.
 *   - 1 GC. It lists and reads everything at one moment: the retained
 *     manifests are the newest one and every manifest whose successor is
 *     younger than GRACE (a reader may still be reading it); it then deletes,
 *     one at a time, the objects no retained manifest lists that are older
 *     than GRACE, and the manifests that are not retained.
 *   - 1 reader. It lists and gets the newest manifest, then gets every
 *     object it lists.
 *   - Time, and the deadline rule that makes the grace period sound: a
 *     writer commits only while its WAL object is younger than GRACE (the
 *     WAL put precedes its manifest read), the indexer only while less than
 *     GRACE has passed since it read the manifest (which precedes its
 *     neighborhood puts), and a reader starts over once GRACE has passed
 *     since it got the manifest.
 *   - Crashes: a writer, the indexer or GC may crash after any store call
 *     that changed something and restart with its in-memory state lost
 *     (MAXCRASH crashes in all). A crashed writer's write is not
 *     acknowledged (its client may retry: a new write).
 *
 * What is abstracted away
 *   - Vectors, keys and metadata: a write is one bit; an object's content is
 *     the set of writes it holds (a ghost variable, immutable like the
 *     objects). Overwrites and deletes of vectors are writes too.
 *   - Time is a tick that ages every object and every running deadline by
 *     one, saturating at GRACE: only "younger than GRACE or not" matters, so
 *     time is unbounded yet the state space finite. A deadline check and the
 *     store call it guards are one step: the implementation must leave a
 *     margin between the writer's deadline and GC's grace period that covers
 *     one store call (and clock skew between processes).
 *   - Each store call is one atomic step; a listing is an atomic snapshot.
 *     This is sound for GC because it measures ages from the moment its
 *     listing started; a reader getting objects one by one is covered
 *     because a deletion it would see at object i is ordered before its
 *     single step in another interleaving.
 *   - One GC and one indexer at a time; writer epochs and the catalog are
 *     not modelled.
 *   - Object ids and generations are bounded (NW, NNB, MAXG), as are the
 *     indexer's commits (FOLDS), GC passes (GCPASSES) and reads (READS).
 *
 * Checked properties (assertions; pan reports any violation)
 *   P1 an acknowledged write is never lost: after every store mutation every
 *      acknowledged write is held by the newest manifest;
 *   P2 GC never deletes an object or manifest that a retained manifest
 *      references (asserted at each delete), and after every mutation no
 *      retained manifest lists a missing object;
 *   P3 a reader (or the indexer) never sees a manifest whose objects are
 *      missing, and the reader sees every write acknowledged before it
 *      started.
 *
 * Broken variants (commit_broken_*.pml) define one BROKEN_* macro and
 * include this file; spin must find a violation in each.
 */

#ifndef GRACE
#define GRACE     2   /* grace period, in ticks */
#endif
#define WRITERS   2
#define NW        WRITERS  /* WAL object ids: one per writer */
#define NNB       6   /* neighborhood object ids */
#ifndef FOLDS
#define FOLDS     2   /* indexer commits */
#endif
#ifndef GCPASSES
#define GCPASSES  2   /* GC passes */
#endif
#ifndef READS
#define READS     1   /* reader passes */
#endif
#ifndef MAXCRASH
#define MAXCRASH  1   /* crashes in all */
#endif
#define MAXG      (1+WRITERS+FOLDS) /* manifest generations that can ever exist */

#define BIT(i)     (1 << (i))
#define HAS(set,i) ((((set) >> (i)) & 1) == 1)
#define AGE(a)     if :: (a) < GRACE -> a++ :: else fi  /* NONE stays NONE */

/* the store */
byte wal_present;      /* bit w: WAL object w exists */
byte wal_age[NW];      /* its age (ticks since its put, saturating at GRACE) */
byte wal_w[NW];        /* ghost: writes it holds */
byte nb_present;
byte nb_age[NNB];
byte nb_w[NNB];
byte nb_next;          /* fresh neighborhood ids (random ids in reality) */
byte man_present = 1;  /* bit g: manifest generation g exists (0: the empty index) */
byte man_age[MAXG];    /* age of generation g */
byte man_wal[MAXG];    /* WAL objects listed by generation g */
byte man_nb[MAXG];     /* neighborhoods listed by generation g */
byte man_w[MAXG];      /* ghost: writes generation g holds */
byte newest;           /* highest existing generation (what a listing finds) */

/* deadlines of running operations (ages, like the objects'); NONE: not running */
#define NONE 255
byte w_age[WRITERS] = NONE; /* since writer k put its WAL object */
byte idx_age = NONE;   /* since the indexer got its manifest */
byte rd_age = NONE;    /* since the reader got its manifest */

byte acked;            /* ghost: bit k: writer k's write was acknowledged */
byte crashes;

/* scratch for loops inside d_steps: always 0 between steps */
byte hm, hrw, hrn, hi;

#define CRASH (crashes < MAXCRASH)

/* RETAINED(m): GC keeps manifest m now */
#ifdef BROKEN_NO_PIN
/* broken: keep only the newest manifest, ignoring readers still on an older one */
#define RETAINED(m) (HAS(man_present, m) && (m) == newest)
#else
#define RETAINED(m) (HAS(man_present, m) && ((m) == newest || \
	((m)+1 < MAXG && (!HAS(man_present, (m)+1) || man_age[(m)+1] < GRACE))))
#endif

/* OLD_ENOUGH(age): GC may delete an unreferenced object of this age */
#ifdef BROKEN_NO_GRACE
#define OLD_ENOUGH(age) true
#else
#define OLD_ENOUGH(age) ((age) >= GRACE)
#endif

/* EXPIRED(age): a deadline that started age ticks ago has passed */
#ifdef BROKEN_NO_DEADLINE
#define EXPIRED(age) false
#else
#define EXPIRED(age) ((age) >= GRACE)
#endif

/* TAKEN(g): a create-only put of generation g fails */
#ifdef BROKEN_NO_CAS
/* broken: writers put the manifest unconditionally (last writer wins) */
#define TAKEN(g) false
#else
#define TAKEN(g) HAS(man_present, g)
#endif

/* refs(): the objects the retained manifests list, into hrw/hrn */
inline refs() {
	hrw = 0; hrn = 0; hm = 0;
	do
	:: hm < MAXG ->
		if
		:: RETAINED(hm) -> hrw = hrw | man_wal[hm]; hrn = hrn | man_nb[hm]
		:: else
		fi;
		hm++
	:: else -> break
	od
}

/* check(): P1 and P2 after every store mutation */
inline check() {
	assert(HAS(man_present, newest));
	assert((acked & ~man_w[newest]) == 0);                          /* P1 */
	refs();
	assert((hrw & ~wal_present) == 0 && (hrn & ~nb_present) == 0);  /* P2 */
	hrw = 0; hrn = 0; hm = 0
}

/* create(g, wl, nl, ws): a winning create-only put of generation g */
inline create(g, wl, nl, ws) {
	assert(g < MAXG);          /* the bound is large enough */
	man_present = man_present | BIT(g);
	man_age[g] = 0; man_wal[g] = wl; man_nb[g] = nl; man_w[g] = ws;
	if
	:: g > newest -> newest = g
	:: else
	fi
}

/* lowest(set): the lowest bit of a non-empty set, into hi */
inline lowest(set) {
	hi = 0;
	do
	:: !HAS(set, hi) -> hi++
	:: else -> break
	od
}

/* The clock: one tick ages every object and running deadline. */
active proctype Clock() {
end:
	do
	:: d_step {
		hi = 0;
		do
		:: hi < NW -> if :: HAS(wal_present, hi) -> AGE(wal_age[hi]) :: else fi; hi++
		:: else -> break
		od;
		hi = 0;
		do
		:: hi < NNB -> if :: HAS(nb_present, hi) -> AGE(nb_age[hi]) :: else fi; hi++
		:: else -> break
		od;
		hi = 0;
		do
		:: hi < MAXG -> if :: HAS(man_present, hi) -> AGE(man_age[hi]) :: else fi; hi++
		:: else -> break
		od;
		hi = 0;
		AGE(w_age[0]); AGE(w_age[1]); AGE(idx_age); AGE(rd_age)
	}
	od
}

/*
 * Every process is a loop of guarded atomic actions, one per store call,
 * chosen by its phase ph. Other processes and the clock run between any two.
 */

proctype Writer(byte k) {
	byte ph, g;            /* its WAL object is k; its deadline runs in w_age[k] */
end:
	do
	:: d_step { ph == 0 ->                    /* put the WAL object */
		wal_present = wal_present | BIT(k); wal_age[k] = 0; wal_w[k] = BIT(k);
		w_age[k] = 0; ph = 1
	}
	:: d_step { ph == 1 ->                    /* list manifest/, get the newest generation */
		if
		:: EXPIRED(w_age[k]) -> ph = 4; w_age[k] = NONE  /* too late: fail the request */
		:: !EXPIRED(w_age[k]) && HAS(man_present, newest) ->
			g = newest; ph = 2                   /* (manifests are immutable: g names its content) */
		:: else                                   /* deleted meanwhile: list again */
		fi
	}
	:: d_step { ph == 2 ->                    /* put manifest g+1, create-only */
		if
		:: EXPIRED(w_age[k]) -> ph = 4          /* too late: fail the request */
		:: !EXPIRED(w_age[k]) && TAKEN(g+1) -> ph = 1  /* ErrPreconditionFailed: retry */
		:: !EXPIRED(w_age[k]) && !TAKEN(g+1) ->
			create(g+1, man_wal[g] | BIT(k), man_nb[g], man_w[g] | BIT(k));
			acked = acked | BIT(k);            /* committed: acknowledge */
			check();
			ph = 3
		fi;
		if :: ph != 1 -> w_age[k] = NONE :: else fi;
		g = 0
	}
	:: d_step { (ph == 1 || ph == 2) && CRASH ->  /* crash: the write is not acknowledged */
		crashes++; ph = 4; w_age[k] = NONE; g = 0
	}
	od
}

active proctype Indexer() {
	byte folds;            /* bound on commits: survives crashes */
	byte ph, g, n1, n2;
	byte idle = 255;       /* the generation found with nothing to fold */
end:
	do
	:: d_step { ph == 0 && folds < FOLDS && nb_next + 2 <= NNB && newest != idle ->
		/* list manifest/, get the newest generation */
		if
		:: HAS(man_present, newest) && man_wal[newest] == 0 -> idle = newest
		:: HAS(man_present, newest) && man_wal[newest] != 0 ->
			g = newest; idx_age = 0; ph = 1
		:: else
		fi
	}
	:: d_step { ph == 1 ->                    /* get the objects it lists (P3) */
		if
		:: EXPIRED(idx_age) -> ph = 0; g = 0; idx_age = NONE
		:: else -> assert((man_wal[g] & ~wal_present) == 0 && (man_nb[g] & ~nb_present) == 0); ph = 2
		fi
	}
	:: atomic { ph == 2 ->                    /* put the new neighborhood(s) */
		n1 = nb_next; nb_next++;
		nb_present = nb_present | BIT(n1); nb_age[n1] = 0;
		if
		:: nb_w[n1] = man_w[g]; n2 = 255                  /* fold into one */
		:: man_w[g] == (BIT(0) | BIT(1)) ->                 /* split in two */
			nb_w[n1] = BIT(0);
			n2 = nb_next; nb_next++;
			nb_present = nb_present | BIT(n2); nb_age[n2] = 0; nb_w[n2] = BIT(1)
		fi;
		ph = 3
	}
	:: d_step { ph == 3 ->                    /* put manifest g+1, create-only */
		if
		:: !EXPIRED(idx_age) && !HAS(man_present, g+1) ->
			if
			:: n2 == 255 -> create(g+1, 0, BIT(n1), man_w[g])
			:: else -> create(g+1, 0, BIT(n1) | BIT(n2), man_w[g])
			fi;
			folds++;
			check()
		:: else                                /* too late, or lost the race: start over */
		fi;
		ph = 0; g = 0; idx_age = NONE; n1 = 0; n2 = 0
	}
	:: d_step { ph == 3 && CRASH ->
		crashes++; ph = 0; g = 0; idx_age = NONE; n1 = 0; n2 = 0
	}
	od
}

active proctype GC() {
	byte passes;           /* bound: survives crashes */
	byte ph, cw, cn, cm;
end:
	do
	:: d_step { ph == 0 && passes < GCPASSES ->  /* list and read everything */
		passes++;
		refs();
		hi = 0;
		do
		:: hi < NW ->
			if
			:: HAS(wal_present, hi) && !HAS(hrw, hi) && OLD_ENOUGH(wal_age[hi]) -> cw = cw | BIT(hi)
			:: else
			fi;
			hi++
		:: else -> break
		od;
		hi = 0;
		do
		:: hi < NNB ->
			if
			:: HAS(nb_present, hi) && !HAS(hrn, hi) && OLD_ENOUGH(nb_age[hi]) -> cn = cn | BIT(hi)
			:: else
			fi;
			hi++
		:: else -> break
		od;
		hi = 0;
		do
		:: hi < MAXG ->
			if
			:: HAS(man_present, hi) && !RETAINED(hi) -> cm = cm | BIT(hi)
			:: else
			fi;
			hi++
		:: else -> break
		od;
		hi = 0; hrw = 0; hrn = 0; hm = 0;
		if
		:: cw != 0 || cn != 0 || cm != 0 -> ph = 1
		:: else
		fi
	}
	:: d_step { ph == 1 && cw != 0 ->          /* delete a WAL object */
		lowest(cw); cw = cw & ~BIT(hi);
		refs();
		assert(!HAS(hrw, hi));                 /* P2 */
		wal_present = wal_present & ~BIT(hi); wal_age[hi] = 0; wal_w[hi] = 0;
		check(); hi = 0;
		if :: cw == 0 && cn == 0 && cm == 0 -> ph = 0 :: else fi
	}
	:: d_step { ph == 1 && cw == 0 && cn != 0 ->  /* delete a neighborhood */
		lowest(cn); cn = cn & ~BIT(hi);
		refs();
		assert(!HAS(hrn, hi));                 /* P2 */
		nb_present = nb_present & ~BIT(hi); nb_age[hi] = 0; nb_w[hi] = 0;
		check(); hi = 0;
		if :: cn == 0 && cm == 0 -> ph = 0 :: else fi
	}
	:: d_step { ph == 1 && cw == 0 && cn == 0 && cm != 0 ->  /* delete a manifest */
		lowest(cm); cm = cm & ~BIT(hi);
		assert(!RETAINED(hi));                 /* P2 */
		man_present = man_present & ~BIT(hi); man_age[hi] = 0;  /* content stays as history */
		check(); hi = 0;
		if :: cm == 0 -> ph = 0 :: else fi
	}
	:: d_step { ph == 1 && CRASH -> crashes++; ph = 0; cw = 0; cn = 0; cm = 0 }
	od
}

active proctype Reader() {
	byte reads, ph, g;
end:
	do
	:: d_step { ph == 0 && reads < READS && HAS(man_present, newest) ->
		/* list manifest/, get the newest generation */
		reads++; rd_age = 0; g = newest;
		assert((acked & ~man_w[g]) == 0);      /* P3: acknowledged writes are in it */
		ph = 1
	}
	:: d_step { ph == 1 ->                     /* get every object it lists */
		if
		:: EXPIRED(rd_age) -> skip              /* too slow: start over */
		:: else ->
			assert((man_wal[g] & ~wal_present) == 0 && (man_nb[g] & ~nb_present) == 0);  /* P3 */
			hrw = 0; hi = 0;                     /* hrw: the writes the objects hold */
			do
			:: hi < NW -> if :: HAS(man_wal[g], hi) -> hrw = hrw | wal_w[hi] :: else fi; hi++
			:: else -> break
			od;
			hi = 0;
			do
			:: hi < NNB -> if :: HAS(man_nb[g], hi) -> hrw = hrw | nb_w[hi] :: else fi; hi++
			:: else -> break
			od;
			assert(hrw == man_w[g]);             /* P3: they hold what the manifest says */
			hi = 0; hrw = 0
		fi;
		ph = 0; rd_age = NONE; g = 0
	}
	od
}

init {
	atomic { run Writer(0); run Writer(1) }
}
