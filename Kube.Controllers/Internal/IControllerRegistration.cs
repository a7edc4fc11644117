using Kube.Controllers.Runtime;
using Kube.Core.WorkQueue;

namespace Kube.Controllers.Internal;

/// <summary>A controller added with <c>AddController</c>; built when the manager starts.</summary>
internal interface IControllerRegistration
{
    IController Build(IServiceProvider services, Func<string, IWorkQueue<ReconcileRequest>> queueFactory, ControllerMetrics? metrics);
}
