using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Streaming;

/// <summary>
/// A client that receives a live stream (a server session): the relay hands it every processed frame and its mask,
/// and the source's TRANSFORMs. A send that throws ends this client's subscription, never the stream.
/// </summary>
public interface IStreamSubscriber
{
    /// <summary>For logs and status ("127.0.0.1:53012").</summary>
    string Name { get; }

    /// <summary>Sends one message; it is disposed by the relay after this returns, so serialise it before returning.</summary>
    ValueTask SendAsync(IgtlMessage message, CancellationToken cancellationToken);
}
