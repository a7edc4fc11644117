using Kube.Node.Server.Spdy;

namespace Kube.Node.Server;

/// <summary>The error and data streams of one forwarded connection, paired by their requestID header.</summary>
internal sealed class PortForwardPair(string requestId)
{
    public string RequestId { get; } = requestId;

    public SpdyStream? Error { get; set; }

    public SpdyStream? Data { get; set; }

    public bool Complete => Error is not null && Data is not null;

    /// <summary>Completed once both streams are there.</summary>
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
