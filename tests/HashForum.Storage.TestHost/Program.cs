using System.Globalization;
using HashForum.Storage;
using HashForum.Storage.Garnet;
using HashForum.Storage.Internal;

// Usage: HashForum.Storage.TestHost <data-folder> [bulk <batch-size>]
// Hosts the embedded Garnet on <data-folder>, then contributes records for ever: one at a time, printing
// "ACK <value> <id>" after each acknowledgement, or (bulk) in batches through the bulk path, printing "ACKED <n>"
// once records 0 .. n-1 are all acknowledged. The crash-safety tests kill it with SIGKILL mid-stream and check that
// every acknowledged record survived, once.
if (args.Length is not (1 or 3) || (args.Length == 3 && args[1] != "bulk"))
{
    await Console.Error.WriteLineAsync("usage: HashForum.Storage.TestHost <data-folder> [bulk <batch-size>]");
    return 2;
}

using var garnet = new EmbeddedGarnetServer(args[0], new EmbeddedGarnetOptions { Memory = "64m", Index = "16m", IndexMax = "64m" });
var options = new HashForumStoreOptions { Redis = garnet.EnsureStarted(), Partitions = 4, OperationTimeout = TimeSpan.FromSeconds(60) };
using var connection = StoreConnection.Connect(options, embedded: null);
var store = new RedisHashStore(connection, options);
Console.Out.WriteLine("READY");
Console.Out.Flush();
if (args.Length == 3)
{
    var batch = int.Parse(args[2], CultureInfo.InvariantCulture);
    for (var start = 0; ; start += batch)
    {
        await store.ContributeManyAsync([.. Enumerable.Range(start, batch).Select(i => new Contribution
        {
            Signal = SignalType.Sha256, Value = Value(i), Member = "crash-test",
        })]);
        Console.Out.WriteLine($"ACKED {start + batch}");
        Console.Out.Flush();
    }
}

for (var i = 0; ; i++)
{
    var value = Value(i);
    var result = await store.ContributeAsync(new Contribution { Signal = SignalType.Sha256, Value = value, Member = "crash-test" });
    Console.Out.WriteLine($"ACK {value} {result.Record.Id}");
    Console.Out.Flush();
}

static string Value(int i) => i.ToString("x64", CultureInfo.InvariantCulture);
