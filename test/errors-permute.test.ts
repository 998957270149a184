// nn.permute's and the weightNames option's misuse (API.md "Errors"): a dims that is not a
// permutation of the sample axes (ValueError at construction), an input of another rank (ShapeError
// naming the layer), weight names that are not names or rename no weight of the layer.
import { nn, randn, ValueError, ShapeError } from '../src/index.js';
import { bad, errorTable, own } from './harness/error-table.js';

bad('permute: dims missing', () => nn.permute({} as never), ValueError, 'permute', "option 'dims' is required");
bad('permute: dims counted from 0', () => nn.permute({ dims: [0, 1, 2] }), ValueError, 'permute', "option 'dims' must be a permutation of 1..n", '[0,1,2]');
bad('permute: an axis twice', () => nn.permute({ dims: [1, 1] }), ValueError, 'permute', 'permutation', '[1,1]');
bad('permute: an axis past the end', () => nn.permute({ dims: [3, 1] }), ValueError, 'permute', '[3,1]');
bad('permute: an input of another rank', () => nn.permute({ dims: [2, 3, 1], name: 'to_nhwc' }).apply(own(randn([2, 4, 5]))),
  ShapeError, 'to_nhwc', 'dims [2,3,1] permute 3 sample axes', '(None, 4, 5)');
bad('permute: an unknown option', () => nn.permute({ dims: [1], perm: [0, 1] } as never), ValueError, 'permute', "unknown option 'perm'");
bad('weightNames: not an object', () => nn.dense({ units: 2, weightNames: 'fc.weight' as never }), ValueError, 'dense', "option 'weightNames' must map weight names", 'fc.weight');
bad('weightNames: a name with a slash', () => nn.dense({ units: 2, weightNames: { kernel: 'fc/weight' } }), ValueError, 'dense', "without '/' or spaces", 'fc/weight');
bad('weightNames: two weights one name', () => nn.dense({ units: 2, weightNames: { kernel: 'w', bias: 'w' } }), ValueError, 'dense', "gives two weights the name 'w'");
bad('weightNames: a weight the layer does not have', () => nn.dense({ units: 2, name: 'fc', weightNames: { gamma: 'fc.weight' } }).apply(own(randn([1, 3]))),
  ValueError, 'fc', "option 'weightNames' renames [\"gamma\"]", 'its weights: kernel, bias');

errorTable('permute and weightNames', 10);
