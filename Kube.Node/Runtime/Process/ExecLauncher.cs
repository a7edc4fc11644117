namespace Kube.Node.Runtime.Process;

/// <summary>Starts the host process of a streaming exec, with pipes or on a new pseudo-terminal (shared by the process and cri runtimes).</summary>
internal static class ExecLauncher
{
    /// <summary>Starts <paramref name="argv"/> with piped stdin, stdout and stderr and exactly <paramref name="env"/> as environment.</summary>
    public static ExecProcess StartPiped(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string>? env, string? workingDirectory, string what)
    {
        var info = new System.Diagnostics.ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        foreach (var a in argv.Skip(1))
        {
            info.ArgumentList.Add(a);
        }

        if (env is not null)
        {
            info.Environment.Clear();
            foreach (var (k, v) in env)
            {
                info.Environment[k] = v;
            }
        }

        try
        {
            return new PipedExecProcess(System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException($"{what} failed: could not start {argv[0]}"));
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"{what} failed: {ex.Message}", ex);
        }
    }

    /// <summary>Starts <paramref name="argv"/> on a new pty of <paramref name="size"/>: its session's controlling terminal and its stdin, stdout and stderr.</summary>
    /// <param name="relay">The command only relays another terminal (ctr --tty and the container's console): our pty is raw, so
    /// that line editing, echo, signals and newline translation happen once, on the inner terminal.</param>
    public static ExecProcess StartOnTerminal(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string workingDirectory, TerminalSize size,
        TimeProvider time, string what, bool relay = false)
    {
        var pty = PseudoTerminal.Open(size.Width, size.Height);
        try
        {
            if (relay)
            {
                pty.MakeRaw();
            }

            var pid = ProcessSpawner.SpawnOnTerminal(argv, env, workingDirectory, pty.SlavePath);
            return new TerminalExecProcess(pty, pid, time);
        }
        catch (ProcessSpawnException ex)
        {
            pty.Dispose();
            throw new InvalidOperationException($"{what} failed: {ex.Message}", ex);
        }
        catch
        {
            pty.Dispose();
            throw;
        }
    }
}
