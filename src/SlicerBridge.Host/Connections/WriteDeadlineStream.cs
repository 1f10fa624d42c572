namespace SlicerBridge.Host.Connections;

/// <summary>
/// The writing side of a connection with a progress deadline: every piece of at most <see cref="PieceBytes"/> must be
/// taken by the socket within <paramref name="timeout"/>, or the write ends in a <see cref="TimeoutException"/>. A client
/// that stops reading thus frees the server within the timeout, while a slow but steady one is never cut.
/// </summary>
public sealed class WriteDeadlineStream(Stream inner, TimeSpan? timeout) : Stream
{
    public const int PieceBytes = 1 << 20;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (timeout is not { } limit)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            return;
        }
        while (!buffer.IsEmpty)
        {
            var piece = buffer[..Math.Min(PieceBytes, buffer.Length)];
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(limit);
            try
            {
                await inner.WriteAsync(piece, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"the client took no data for {limit.TotalSeconds:0.###} s");
            }
            buffer = buffer[piece.Length..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override void Flush() => inner.Flush();
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
