using System.IO.Pipelines;
using Kube.Node.Runtime;

namespace Kube.Node.Server;

/// <summary>
/// An attach to a running container, shaped as an <see cref="ExecProcess"/> so that <see cref="ExecSession"/> carries it: its output is
/// what the container writes from now on, until it stops: its stdout and stderr apart where the runtime carries them so
/// (<see cref="IAttachRuntime.OpenOutput"/>), otherwise what it appends to its log (stdout and stderr together, decoded from the CRI
/// log format when the runtime writes that); its input, when asked for, is the runtime's <see cref="ContainerInput"/>. "Killing" it
/// only detaches: the container goes on. It "exits" with 0 when the container stopped or the client detached, as upstream's attach
/// ends without an exit code.
/// </summary>
internal sealed class AttachedContainer : ExecProcess
{
    private readonly IContainerRuntime _runtime;
    private readonly ContainerStatus _run;
    private readonly ContainerInput? _input;
    private readonly ContainerOutput? _apart;
    private readonly TimeSpan _poll;
    private readonly TimeProvider _time;
    private readonly Pipe _output = new();
    private readonly CancellationTokenSource _detach = new();
    private readonly Task _follow;

    /// <param name="output">The container's output apart from the runtime (see <see cref="IAttachRuntime.OpenOutput"/>), or null to follow its log.</param>
    public AttachedContainer(IContainerRuntime runtime, ContainerStatus run, ContainerInput? input, ContainerOutput? output, TimeSpan poll, TimeProvider time)
    {
        _runtime = runtime;
        _run = run;
        _input = input;
        _apart = output;
        _poll = poll;
        _time = time;
        Stdin = input is null ? Stream.Null : new InputStream(input);
        if (output is not null)
        {
            Stdout = output.Stdout;
            Stderr = output.Stderr;
            _follow = output.Ended;
            return;
        }

        Stdout = _output.Reader.AsStream();
        // Where "from now on" starts is fixed here, before the session can write any input: the answer to it must not be skipped.
        var log = OpenLog(run.LogPath, out var cri);
        _follow = Task.Run(() => FollowAsync(log, cri));
    }

    private static FileStream? OpenLog(string? path, out CriLogDecoder? cri)
    {
        cri = null;
        if (path is null)
        {
            return null;
        }

        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"the output of the container cannot be followed: {ex.Message}", ex);
        }

        var head = new byte[512];
        var headLength = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        cri = CriLogDecoder.LooksLikeCri(head.AsSpan(0, headLength)) ? new CriLogDecoder(timestamps: false) : null;
        file.Seek(0, SeekOrigin.End);
        return file;
    }

    public override Stream Stdin { get; }

    public override Stream Stdout { get; }

    public override Stream Stderr { get; } = Stream.Null;

    public override bool IsTerminal => _input?.IsTerminal ?? false;

    public override void Resize(TerminalSize size) => _input?.Resize(size);

    public override async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _follow.WaitAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }

    public override void Kill() => Detach();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Detach();
            _input?.Dispose();
        }
    }

    private void Detach()
    {
        _apart?.Dispose();
        try
        {
            _detach.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Copies what is appended to the container's log from now on into the output pipe, until the container stops or the client detaches.</summary>
    private async Task FollowAsync(FileStream? log, CriLogDecoder? cri)
    {
        var ct = _detach.Token;
        Exception? failure = null;
        try
        {
            if (log is null)
            {
                return;
            }

            await using var file = log;
            var buffer = new byte[32 * 1024];
            var stopped = false;
            while (true)
            {
                var n = await file.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n > 0)
                {
                    await WriteAsync(cri is null ? buffer.AsMemory(0, n) : cri.Decode(buffer.AsSpan(0, n)), ct).ConfigureAwait(false);
                    continue;
                }

                if (stopped)
                {
                    if (cri?.Flush() is { Length: > 0 } rest)
                    {
                        await WriteAsync(rest, ct).ConfigureAwait(false);
                    }

                    return;
                }

                if (file.Length < file.Position)
                {
                    file.Seek(0, SeekOrigin.Begin);
                    continue;
                }

                var status = await _runtime.ContainerStatusAsync(_run.Id, ct).ConfigureAwait(false);
                if (status is null || status.State != ContainerState.Running)
                {
                    // One more pass reads what it wrote last; a terminal's copier may still be draining, so give it one poll interval.
                    await Task.Delay(_poll, _time, ct).ConfigureAwait(false);
                    stopped = true;
                    continue;
                }

                await Task.Delay(_poll, _time, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException ex)
        {
            failure = ex;
        }
        finally
        {
            await _output.Writer.CompleteAsync(failure).ConfigureAwait(false);
        }
    }

    private async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (data.Length > 0)
        {
            await _output.Writer.WriteAsync(data, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The container's input as a write-only stream; disposing it ends this session's input (see <see cref="ContainerInput"/>).</summary>
    private sealed class InputStream(ContainerInput input) : WriteOnlyStream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => input.WriteAsync(buffer, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                input.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
