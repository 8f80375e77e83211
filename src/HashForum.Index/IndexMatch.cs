namespace HashForum.Index;

/// <summary>
/// One search result: a stored id, its Hamming distance to the query, and which query matched
/// (0 for a single-query search; the index into the query span for a multi-query search).
/// </summary>
/// <param name="Id">The public id given to <see cref="PdqIndex.Add"/>.</param>
/// <param name="Distance">Hamming distance 0..256 between the stored hash and the query.</param>
/// <param name="QueryIndex">Which query hash gave <paramref name="Distance"/> (the first one on a tie).</param>
public readonly record struct IndexMatch(long Id, int Distance, int QueryIndex);
