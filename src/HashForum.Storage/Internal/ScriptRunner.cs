using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace HashForum.Storage.Internal;

/// <summary>
/// Runs the store's scripts by EVALSHA. StackExchange.Redis' string overload sends the whole script text (EVAL)
/// with every call, which made bulk writes ten times slower; here the SHA1 is sent, and on NOSCRIPT (a restarted
/// server, a new cluster node) the scripts are loaded on every server and the call is retried once.
/// </summary>
internal sealed class ScriptRunner(IConnectionMultiplexer multiplexer)
{
    private static readonly string[] Scripts = [StoreScripts.Meta, StoreScripts.Contribute, StoreScripts.Retract, StoreScripts.Relabel, StoreScripts.Feedback];
    // SHA1 is what EVALSHA names a script by: an identifier, not a security measure.
#pragma warning disable CA5350
    private static readonly Dictionary<string, byte[]> Hashes = Scripts.ToDictionary(
        s => s,
        s => SHA1.HashData(Encoding.UTF8.GetBytes(s)),
        StringComparer.Ordinal);
#pragma warning restore CA5350

    public async Task<RedisResult> EvaluateAsync(IDatabaseAsync db, string script, RedisKey[] keys, RedisValue[] values)
    {
        var hash = Hashes[script];
        try
        {
            return await db.ScriptEvaluateAsync(hash, keys, values).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            await LoadAllAsync().ConfigureAwait(false);
            return await db.ScriptEvaluateAsync(hash, keys, values).ConfigureAwait(false);
        }
    }

    /// <summary>Loads every script on every connected server (idempotent).</summary>
    public async Task LoadAllAsync()
    {
        var loads = new List<Task>();
        foreach (var endpoint in multiplexer.GetEndPoints())
        {
            var server = multiplexer.GetServer(endpoint);
            if (server.IsConnected)
            {
                loads.AddRange(Scripts.Select(s => server.ScriptLoadAsync(s)));
            }
        }

        await Task.WhenAll(loads).ConfigureAwait(false);
    }
}
