using Grpc.Core;
using HashForum.Membership;
using HashForum.Server.Errors;
using HashForum.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace HashForum.Server.Tests;

/// <summary>Each failure maps to one status with a message that says what to fix; nothing internal leaks.</summary>
internal sealed class StatusMappingTests
{
    [Test]
    public void ToRpcException_ArgumentException_InvalidArgumentWithoutParameterSuffix()
    {
        var ex = StatusMapping.ToRpcException(new ArgumentException("A name is required.", "name"), new TestCallContext(), NullLogger.Instance);

        Assert.That(ex.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Is.EqualTo("A name is required."));
    }

    [Test]
    public void ToRpcException_NotFound_NotFound()
    {
        var ex = StatusMapping.ToRpcException(new MembershipNotFoundException("There is no member 'x'."), new TestCallContext(), NullLogger.Instance);

        Assert.That(ex.StatusCode, Is.EqualTo(StatusCode.NotFound));
    }

    [Test]
    public void ToRpcException_StoreUnavailable_UnavailableWithoutInnerDetails()
    {
        var inner = new InvalidOperationException("redis1:6379,password=hunter2");

        var ex = StatusMapping.ToRpcException(new StoreUnavailableException("down: redis1:6379,password=hunter2", inner), new TestCallContext(), NullLogger.Instance);

        Assert.That(ex.StatusCode, Is.EqualTo(StatusCode.Unavailable));
        Assert.That(ex.Status.Detail, Does.Not.Contain("hunter2").And.Not.Contain("redis1"));
    }

    [Test]
    public void ToRpcException_CancelledPastDeadline_DeadlineExceeded()
    {
        var context = new TestCallContext { DeadlineValue = DateTime.UtcNow.AddSeconds(-1) };

        var ex = StatusMapping.ToRpcException(new OperationCanceledException(), context, NullLogger.Instance);

        Assert.That(ex.StatusCode, Is.EqualTo(StatusCode.DeadlineExceeded));
    }

    [Test]
    public void ToRpcException_UnexpectedException_InternalWithReferenceAndNoDetails()
    {
        Exception thrown;
        try
        {
            throw new InvalidCastException("secret internals at HashForum.Somewhere");
        }
        catch (InvalidCastException caught)
        {
            thrown = caught;
        }

        var ex = StatusMapping.ToRpcException(thrown, new TestCallContext(), NullLogger.Instance);

        Assert.That(ex.StatusCode, Is.EqualTo(StatusCode.Internal));
        Assert.That(ex.Status.Detail, Does.Contain("reference"));
        Assert.That(ex.Status.Detail, Does.Not.Contain("secret internals").And.Not.Contain(" at "));
    }

    /// <summary>A <see cref="ServerCallContext"/> for unit tests (as grpc-dotnet's examples/Tester does).</summary>
    private sealed class TestCallContext : ServerCallContext
    {
        private readonly Metadata _headers = [];
        private readonly Metadata _trailers = [];
        private readonly Dictionary<object, object> _userState = [];

        public DateTime DeadlineValue { get; set; } = DateTime.MaxValue;

        protected override string MethodCore => "/hashforum.v1.Test/Method";

        protected override string HostCore => "127.0.0.1";

        protected override string PeerCore => "ipv4:127.0.0.1:1";

        protected override DateTime DeadlineCore => DeadlineValue;

        protected override Metadata RequestHeadersCore => _headers;

        protected override CancellationToken CancellationTokenCore => CancellationToken.None;

        protected override Metadata ResponseTrailersCore => _trailers;

        protected override Status StatusCore { get; set; }

        protected override WriteOptions? WriteOptionsCore { get; set; }

        protected override AuthContext AuthContextCore => new(null, []);

        protected override IDictionary<object, object> UserStateCore => _userState;

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
