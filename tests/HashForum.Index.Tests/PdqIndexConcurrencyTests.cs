using HashForum.Hashing.Pdq;

namespace HashForum.Index.Tests;

/// <summary>
/// Readers and writers together. The tracked writer applies a fixed script of changes near a few
/// query centres; a reader notes how many changes had completed before its search and how many had
/// started after it, and its answer must equal the oracle's answer for one of the states in between.
/// A second writer churns far-away hashes so that tail flushes, merges and rebuilds happen under the
/// readers' feet.
/// </summary>
[TestFixture]
public sealed class PdqIndexConcurrencyTests
{
    private const int Radius = 31;

    [Test]
    public void Search_WhileWritersAddAndRemove_AlwaysSeesOneConsistentState()
    {
        // Arrange
        var random = new Random(23);
        var baseData = TestData.Realistic(20_000, random);
        var centres = Enumerable.Range(0, 4).Select(_ => SyntheticHashes.Realistic(random)).ToArray();

        // The script: adds of near-duplicates of the centres (some at exactly the radius, some one
        // beyond), removes, and re-adds of the same ids with new hashes.
        var script = new List<(long Id, Hash256? Hash)>();
        var live = new Dictionary<long, Hash256>();
        for (var step = 0; step < 6_000; step++)
        {
            if (live.Count > 50 && random.Next(3) == 0)
            {
                var id = live.Keys.ElementAt(random.Next(live.Count));
                live.Remove(id);
                script.Add((id, null));
            }
            else
            {
                var id = 5_000_000L + random.Next(400);
                if (live.ContainsKey(id))
                {
                    continue;
                }

                var hash = SyntheticHashes.FlipBits(centres[random.Next(centres.Length)], random.Next(Radius - 3, Radius + 3), random);
                live[id] = hash;
                script.Add((id, hash));
            }
        }

        // For each centre, the state after k script steps: which tracked ids are within the radius.
        var answers = centres.Select(c => States(script, c)).ToArray();
        var index = TestData.Build(baseData);
        var baseAnswers = centres.Select(c => Oracle.Search(baseData, c, Radius)).ToArray();
        var completed = 0;
        var started = 0;
        var failures = new List<string>();
        var checkedSearches = 0;
        using var stop = new CancellationTokenSource();
        using var readersReady = new CountdownEvent(2);

        // Act
        var writer = Task.Run(() =>
        {
            readersReady.Wait();
            foreach (var (id, hash) in script)
            {
                Interlocked.Increment(ref started);
                if (hash is { } h)
                {
                    index.Add(id, h);
                }
                else
                {
                    index.Remove(id);
                }

                Interlocked.Increment(ref completed);

                // Give the readers (two cores, five threads) a chance to land between changes.
                Thread.Yield();
            }
        });
        var churn = Task.Run(() =>
        {
            var churnRandom = new Random(29);
            var ids = new Queue<long>();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var id = 9_000_000L + i;
                index.Add(id, SyntheticHashes.Realistic(churnRandom));
                ids.Enqueue(id);
                if (ids.Count > 3_000)
                {
                    index.Remove(ids.Dequeue());
                }
            }
        });
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var results = new List<IndexMatch>();
            var readerRandom = new Random(r);
            readersReady.Signal();
            for (var searches = 0; !writer.IsCompleted || searches < 200; searches++)
            {
                var c = readerRandom.Next(centres.Length);
                var before = Volatile.Read(ref completed);
                index.Search(centres[c], Radius, results);
                var after = Volatile.Read(ref started);
                var got = results.Where(m => m.Id >= 5_000_000 && m.Id < 6_000_000).ToList();
                var consistent = false;
                for (var k = before; k <= after && !consistent; k++)
                {
                    consistent = got.SequenceEqual(answers[c][k]);
                }

                var others = results.Where(m => baseData.ContainsKey(m.Id)).ToList();
                lock (failures)
                {
                    checkedSearches++;
                    if (!consistent)
                    {
                        failures.Add($"centre {c}: answer matches no state between {before} and {after}");
                    }

                    if (!others.SequenceEqual(baseAnswers[c]))
                    {
                        failures.Add($"centre {c}: answer over the untouched base changed");
                    }
                }
            }
        })).ToArray();

        Task.WaitAll([writer, .. readers]);
        stop.Cancel();
        churn.Wait();

        // Assert
        Assert.That(failures, Is.Empty);
        Assert.That(checkedSearches, Is.GreaterThanOrEqualTo(400));
        var final = new Dictionary<long, Hash256>(baseData);
        foreach (var (id, hash) in live)
        {
            final[id] = hash;
        }

        foreach (var centre in centres)
        {
            var tracked = index.Search(centre, Radius).Where(m => final.ContainsKey(m.Id));
            Assert.That(tracked, Is.EqualTo(Oracle.Search(final, centre, Radius)));
        }
    }

    /// <summary>The tracked ids within the radius of <paramref name="centre"/> after each prefix of the script.</summary>
    private static List<IndexMatch>[] States(List<(long Id, Hash256? Hash)> script, Hash256 centre)
    {
        var states = new List<IndexMatch>[script.Count + 1];
        var live = new Dictionary<long, Hash256>();
        states[0] = [];
        for (var k = 0; k < script.Count; k++)
        {
            var (id, hash) = script[k];
            if (hash is { } h)
            {
                live[id] = h;
            }
            else
            {
                live.Remove(id);
            }

            states[k + 1] = Oracle.Search(live, centre, Radius);
        }

        return states;
    }
}
