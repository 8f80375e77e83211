using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace HashForum.Testing;

/// <summary>Every log line a server writes (message, exception and scope-free), kept for searching.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public string Text()
    {
        var text = new StringBuilder();
        foreach (var line in _lines)
        {
            text.AppendLine(line);
        }

        return text.ToString();
    }

    public bool Contains(string text) => _lines.Any(l => l.Contains(text, StringComparison.Ordinal));

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}"))
                : string.Empty;
            lines.Enqueue($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)} {structured} {exception}");
        }
    }
}
