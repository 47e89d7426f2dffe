/*
 * test_list.c - host tests of include/lib/list.h: adds at both ends,
 * deletion while iterating, splicing, counting and the empty cases.
 */
#include <lib/ktest.h>
#include <lib/list.h>

#define ITEMS 5

struct item {
	int value;
	struct list_node link;
};

/* Check that @head holds exactly @want[0..n) in order, both directions. */
static void expect_values(struct ktest *t, struct list_node *head,
			  const int *want, size_t n)
{
	struct item *it;
	struct list_node *pos;
	size_t i = 0;

	ASSERT_EQ(t, list_count(head), n);
	list_for_each_entry(it, head, link) {
		ASSERT_LT(t, i, n);
		EXPECT_EQ(t, it->value, want[i]);
		i++;
	}
	/* Walk backwards through prev pointers. */
	for (pos = head->prev; pos != head; pos = pos->prev)
		EXPECT_EQ(t, list_entry(pos, struct item, link)->value, want[--i]);
	EXPECT_EQ(t, i, 0);
}

static void init_items(struct item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		items[i].value = (int)i;
		list_init(&items[i].link);
	}
}

KTEST(list, empty)
{
	struct list_node head = LIST_INIT(head);
	struct list_node *pos;
	int visits = 0;

	EXPECT_TRUE(t, list_empty(&head));
	EXPECT_EQ(t, list_count(&head), 0);
	list_for_each(pos, &head)
		visits++;
	EXPECT_EQ(t, visits, 0);
	EXPECT_NULL(t, list_first_entry_or_null(&head, struct item, link));
}

KTEST(list, add_head_and_tail)
{
	struct list_node head;
	struct item items[ITEMS];
	static const int want[] = { 3, 1, 0, 2, 4 };

	list_init(&head);
	init_items(items, ITEMS);
	list_add_tail(&head, &items[0].link);
	list_add_head(&head, &items[1].link);
	list_add_tail(&head, &items[2].link);
	list_add_head(&head, &items[3].link);
	list_add_tail(&head, &items[4].link);
	expect_values(t, &head, want, ITEMS);
	EXPECT_FALSE(t, list_empty(&head));
	EXPECT_EQ(t, list_first_entry(&head, struct item, link)->value, 3);
	EXPECT_EQ(t, list_last_entry(&head, struct item, link)->value, 4);
	EXPECT_TRUE(t, list_linked(&items[0].link));
}

KTEST(list, del_reinitializes)
{
	struct list_node head;
	struct item items[ITEMS];
	static const int want[] = { 0, 2, 4 };
	size_t i;

	list_init(&head);
	init_items(items, ITEMS);
	for (i = 0; i < ITEMS; i++)
		list_add_tail(&head, &items[i].link);
	list_del(&items[1].link);
	list_del(&items[3].link);
	expect_values(t, &head, want, ARRAY_SIZE(want));
	EXPECT_FALSE(t, list_linked(&items[1].link));
	EXPECT_TRUE(t, items[1].link.next == &items[1].link);
	list_del(&items[1].link);               /* harmless a second time */
	expect_values(t, &head, want, ARRAY_SIZE(want));
}

KTEST(list, add_tail_before_a_node)
{
	struct list_node head;
	struct item items[ITEMS];
	static const int want[] = { 0, 3, 1, 2 };
	size_t i;

	list_init(&head);
	init_items(items, ITEMS);
	for (i = 0; i < 3; i++)
		list_add_tail(&head, &items[i].link);
	/* Sorted insertion: put 3 just before the node of 1. */
	list_add_tail(&items[1].link, &items[3].link);
	expect_values(t, &head, want, ARRAY_SIZE(want));
}

KTEST(list, for_each_entry_safe_deletes_all)
{
	struct list_node head;
	struct item items[ITEMS], *it, *tmp;
	int sum = 0;
	size_t i;

	list_init(&head);
	init_items(items, ITEMS);
	for (i = 0; i < ITEMS; i++)
		list_add_tail(&head, &items[i].link);
	list_for_each_entry_safe(it, tmp, &head, link) {
		sum += it->value;
		list_del(&it->link);
	}
	EXPECT_EQ(t, sum, 0 + 1 + 2 + 3 + 4);
	EXPECT_TRUE(t, list_empty(&head));
}

KTEST(list, splice_tail)
{
	struct list_node a, b;
	struct item items[ITEMS];
	static const int want[] = { 0, 1, 2, 3, 4 };
	static const int want_first[] = { 0, 1 };

	list_init(&a);
	list_init(&b);
	init_items(items, ITEMS);
	list_add_tail(&a, &items[0].link);
	list_add_tail(&a, &items[1].link);
	list_splice_tail(&a, &b);               /* empty source: no change */
	expect_values(t, &a, want_first, ARRAY_SIZE(want_first));
	list_add_tail(&b, &items[2].link);
	list_add_tail(&b, &items[3].link);
	list_add_tail(&b, &items[4].link);
	list_splice_tail(&a, &b);
	expect_values(t, &a, want, ITEMS);
	EXPECT_TRUE(t, list_empty(&b));
	/* Into an empty list. */
	list_splice_tail(&b, &a);
	expect_values(t, &b, want, ITEMS);
	EXPECT_TRUE(t, list_empty(&a));
}
