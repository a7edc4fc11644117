namespace Kube.Node.Tests;

/// <summary>A test class with a fresh <see cref="AgentHarness"/> (API server, store and a node agent running real processes) per test.</summary>
public abstract class AgentHarnessTest
{
    private AgentHarness? _harness;

    /// <summary>The harness of the running test.</summary>
    internal AgentHarness H => _harness ?? throw new InvalidOperationException("the harness starts in [TestInitialize]");

    [TestInitialize]
    public async Task StartHarnessAsync() => _harness = await AgentHarness.StartAsync();

    [TestCleanup]
    public async Task StopHarnessAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
    }
}
