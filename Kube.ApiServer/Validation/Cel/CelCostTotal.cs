using k8s.Models;

namespace Kube.ApiServer.Validation.Cel;

/// <summary>
/// The estimated cost of all of a CRD version's rules, each multiplied by how many times it can run per object, against
/// upstream's StaticEstimatedCRDCostLimit (100,000,000); over it, the schema is refused and the (at most four) most
/// expensive rules are named as contributing, as apiextensions does.
/// </summary>
internal sealed class CelCostTotal
{
    private readonly List<(string Path, double Cost)> _rules = [];
    private double _total;

    public void Add(string path, double cost)
    {
        _total += cost;
        _rules.Add((path, cost));
    }

    public void Check(string schemaPath, List<V1StatusCause> causes)
    {
        if (_total <= CelCost.StaticEstimatedCrdCostLimit) return;
        foreach (var (path, _) in _rules.OrderByDescending(r => r.Cost).Take(4))
            causes.Add(CrdSchemaRules.Forbidden(path, "contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema"));
        causes.Add(CrdSchemaRules.Forbidden(schemaPath,
            CelCost.ErrorMessage("x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema", _total, CelCost.StaticEstimatedCrdCostLimit)));
    }
}
