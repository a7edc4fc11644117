using System.Diagnostics;
using System.Text;

namespace Kube.E2E.Tests.Infrastructure;

/// <summary>
/// A child process whose output is captured line by line while it runs, so a test can wait for a line
/// (e.g. a <c>kubectl get -w</c> event) with a deadline. Disposing kills it (and its children) if it still runs.
/// </summary>
internal sealed class LiveProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _changed = new(0);

    private LiveProcess(Process process) => _process = process;

    public string Stdout
    {
        get { lock (_stdout) return _stdout.ToString(); }
    }

    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    public bool HasExited => _process.HasExited;

    public static LiveProcess Start(string fileName, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, string? stdin = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null)
        {
            foreach (var (k, v) in env) psi.Environment[k] = v;
        }
        var p = new LiveProcess(new Process { StartInfo = psi });
        p._process.OutputDataReceived += (_, e) => p.OnLine(p._stdout, p._stdoutClosed, e.Data);
        p._process.ErrorDataReceived += (_, e) => p.OnLine(p._stderr, p._stderrClosed, e.Data);
        p._process.Start();
        p._process.BeginOutputReadLine();
        p._process.BeginErrorReadLine();
        if (stdin is not null) p._process.StandardInput.Write(stdin);
        p._process.StandardInput.Close();
        return p;
    }

    private void OnLine(StringBuilder sb, TaskCompletionSource closed, string? line)
    {
        if (line is null)
        {
            closed.TrySetResult();
        }
        else
        {
            lock (sb) sb.AppendLine(line);
        }
        _changed.Release();
    }

    /// <summary>Waits until a line of standard output satisfies <paramref name="predicate"/>; false if the deadline passes or the process ends first.</summary>
    public async Task<bool> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            if (Stdout.Split('\n').Any(l => predicate(l.TrimEnd('\r')))) return true;
            if (_stdoutClosed.Task.IsCompleted) return false;
            try { await _changed.WaitAsync(cts.Token); }
            catch (OperationCanceledException) { return false; }
        }
    }

    /// <summary>Waits for the process to exit and its output to be read; null if it did not exit in time (it is then killed).</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            Kill();
            return null;
        }
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { }
        _process.Dispose();
    }
}
