using System.Globalization;
using HashForum.Storage;
using HashForum.Storage.Garnet;
using HashForum.Storage.Internal;

// Usage: HashForum.Storage.TestHost <data-folder>
// Hosts the embedded Garnet on <data-folder>, then contributes records one at a time for ever, printing
// "ACK <value> <id>" after each acknowledgement. The crash-safety test kills it with SIGKILL mid-stream and
// checks that every acknowledged record survived, once.
if (args.Length != 1)
{
    await Console.Error.WriteLineAsync("usage: HashForum.Storage.TestHost <data-folder>");
    return 2;
}

using var garnet = new EmbeddedGarnetServer(args[0], new EmbeddedGarnetOptions { Memory = "64m", Index = "16m", IndexMax = "64m" });
var options = new HashForumStoreOptions { Redis = garnet.EnsureStarted(), Partitions = 4 };
using var connection = StoreConnection.Connect(options, embedded: null);
var store = new RedisHashStore(connection, options);
Console.Out.WriteLine("READY");
Console.Out.Flush();
for (var i = 0; ; i++)
{
    var value = i.ToString("x64", CultureInfo.InvariantCulture);
    var result = await store.ContributeAsync(new Contribution { Signal = HashForum.Storage.SignalType.Sha256, Value = value, Member = "crash-test" });
    Console.Out.WriteLine($"ACK {value} {result.Record.Id}");
    Console.Out.Flush();
}
