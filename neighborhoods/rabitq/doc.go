// Package rabitq implements 1-bit RaBitQ codes (Gao & Long, "RaBitQ: Quantizing
// High-Dimensional Vectors with a Theoretical Error Bound", SIGMOD 2024) for the vectors of
// one neighborhood, relative to its centroid, and a blocked popcount kernel that estimates the
// distance of a query to many codes at once.
//
// # Codes
//
// A vector o of a neighborhood with centroid c is stored as:
//
//   - the sign bits of P·(o−c)/‖o−c‖, where P is a seeded random orthogonal transform of
//     dimension D = dim rounded up to a multiple of 64 (the input is zero-padded): Rounds times
//     random sign flips followed by a normalized fast Walsh–Hadamard transform of the first H
//     coordinates and, when D is not a power of two, of the last H (H the largest power of two
//     ≤ D). It is deterministic for a (dim, seed) pair, so every neighborhood of an index can
//     share one [Rotation] and a query is rotated once, not once per neighborhood;
//   - the per-vector factors of the estimator: ‖o−c‖², ‖o−c‖/⟨ō,o⟩ and
//     ‖o−c‖·√(1−⟨ō,o⟩²)/⟨ō,o⟩ (⟨ō,o⟩ = Σ|u_i|/√D for the rotated unit residual u, the
//     paper's correction; the last factor scales the error bound), and the popcount of the code.
//
// # Queries
//
// A [Query] rotates the query once and quantizes the rotated query g = P·q, once for every
// neighborhood, to 4-bit unsigned values q̄_i = round((g_i − lo)/Δ), stored as 4 bit planes
// so that ⟨code, q̄⟩ = Σ_j 2^j·popcount(code AND plane_j) ([Query.SetVector]); per
// neighborhood [Query.Prepare] only computes ‖q−c‖. The estimate of ‖o−q‖² is
//
//	‖o−c‖² + ‖q−c‖² − 2·‖o−c‖·⟨x̄, r⟩/⟨ō,o⟩,  x̄ = (2·code − 1)/√D,  r = P·(q−c),
//
// where ⟨x̄, r⟩ = ⟨x̄, g⟩ − ⟨x̄, P·c⟩: the first term is recovered from ⟨code, q̄⟩,
// popcount(code), lo, Δ and Σq̄, the second is per vector and folded at encoding into the
// constant base term ‖o−c‖² + 2·‖o−c‖·⟨x̄, P·c⟩/⟨ō,o⟩. (The paper quantizes r per
// neighborhood; quantizing g instead costs Prepare O(1) instead of O(D) work and a 4-bit error
// relative to ‖q‖ instead of ‖q−c‖, which stays well inside the estimator's own error,
// TestEstimator.) The paper's bound
// |⟨ō,q̂⟩/⟨ō,o⟩ − ⟨ô,q̂⟩| ≤ ε0·√(1−⟨ō,o⟩²)/⟨ō,o⟩/√(D−1) gives an interval around the
// estimate that holds the true distance with high probability (ε0 = [DefaultEpsilon] = 1.9:
// on random data about 94% two-sided and 97% for the lower end alone, TestEstimator);
// [Query.EstimateBounds] writes its lower end, so a caller can re-rank exactly only the
// candidates whose lower bound beats its current k-th distance.
//
// # Metrics
//
// [Euclidean] estimates squared L2. [Cosine] is L2 on unit vectors: [Encode] and
// [Query.SetVector] normalize, and because ‖a−b‖² = 2(1−cos) for unit vectors, the factors
// are halved so that estimates and bounds are in 1−cos units, like neighborhoods.Metric.Score.
// The centroid of a Cosine neighborhood should be unit length (neighborhoods.Partition's are);
// any centroid is correct, a near one just makes the residuals, and the errors, smaller.
//
// # Byte layout (version 2)
//
// All integers and floats are little-endian; every section starts 8-byte aligned relative to
// the start of the encoding (the header is 24 bytes, D is a multiple of 64).
//
//	offset          size      field
//	0               4         magic "RBQC"
//	4               1         version (2)
//	5               1         metric (1 Euclidean, 2 Cosine; the values of neighborhoods.Metric)
//	6               1         rounds of the rotation (1..8)
//	7               1         flags (0)
//	8               4         dim (uint32, 1..MaxDim)
//	12              4         n, the number of codes (uint32, ≤ MaxCodes)
//	16              8         rotation seed (uint64)
//	24              4·dim     centroid (float32; unit-normalized for Cosine), zero-padded to 8
//	C               4·D       rotated centroid P·c (float32)
//	C+4D            8·B·W     codes: W = D/64 words per vector, bit i of the code in word i/64,
//	                          bit i%64, interleaved in blocks of 8 codes (B = n rounded up to a
//	                          multiple of 8, the last block zero-padded): word k of code j is
//	                          word ((j/8)·W + k)·8 + j%8, so that a vector kernel loads word k
//	                          of 8 codes at once
//	…               4·n       ‖o−c‖²                      (float32, halved for Cosine)
//	…               4·n       ‖o−c‖² + 2·‖o−c‖·⟨x̄,P·c⟩/⟨ō,o⟩ (float32, halved for Cosine)
//	…               4·n       ‖o−c‖/⟨ō,o⟩                 (float32, halved for Cosine)
//	…               4·n       ‖o−c‖·√(1−⟨ō,o⟩²)/⟨ō,o⟩     (float32, halved for Cosine)
//	…               2·n       popcount of the code (uint16), zero-padded to 4
//	end−4           4         CRC-32C of every byte before it
//
// [Decode] checks the header, the exact length and the checksum ([ErrCorrupt] otherwise) and
// returns [Codes] whose slices alias the input (no copy) when the input is 8-byte aligned on
// a little-endian machine; otherwise it copies.
package rabitq
